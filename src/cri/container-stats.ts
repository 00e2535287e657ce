import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ContainerStatsFilter,
  ContainerStatsRequest,
  ContainerStatsResponseSchema,
  ContainerStatsSchema,
  ListContainerStatsRequest,
  ListContainerStatsResponseSchema,
  StreamContainerStatsRequest,
  StreamContainerStatsResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import type { CgroupStats } from "../container/cgroup-stats.ts";
import type { ContainerUsage } from "../container/container-usage.ts";
import { containerConfigView } from "../container/container-record.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { ContainerRecord } from "../store/index.ts";
import type { Pods } from "./context.ts";
import { STREAM_BATCH } from "./image-list.ts";
import { matchesLabels } from "./pod-convert.ts";

type Stats = MessageInitShape<typeof ContainerStatsSchema>;
const u64 = (v: bigint | undefined) => (v === undefined ? undefined : { value: v });

/** CRI CpuUsage and MemoryUsage of cgroup figures (for a container, or summed for a pod). */
export function criUsage(timestamp: bigint, cg: CgroupStats | undefined): Pick<Stats, "cpu" | "memory"> {
  const mem = cg?.memory;
  const available = mem?.limit === undefined ? undefined : mem.limit > mem.workingSet ? mem.limit - mem.workingSet : 0n;
  return {
    cpu: cg?.cpuNs === undefined ? undefined : { timestamp, usageCoreNanoSeconds: { value: cg.cpuNs } },
    memory: mem && {
      timestamp,
      workingSetBytes: u64(mem.workingSet),
      availableBytes: u64(available),
      usageBytes: u64(mem.usage),
      rssBytes: u64(mem.rss),
      pageFaults: u64(mem.pageFaults),
      majorPageFaults: u64(mem.majorPageFaults),
    },
  };
}

/**
 * One container's stats. CPU and memory only while it runs (a stopped container has no
 * cgroup to read); `usage_nano_cores` is left out: the kubelet works the rate out from
 * two samples of `usage_core_nano_seconds` itself when a runtime does not give it.
 */
export async function containerStatsOf(pods: Pods, rec: ContainerRecord, known?: ContainerUsage & { fsMountpoint: string }): Promise<Stats> {
  const u = known ?? (await pods.containers.usage(rec));
  const config = containerConfigView(rec);
  return {
    attributes: { id: rec.id, metadata: config.metadata, labels: config.labels, annotations: config.annotations },
    ...criUsage(u.timestamp, u.cgroup),
    writableLayer: {
      timestamp: u.timestamp,
      fsId: { mountpoint: u.fsMountpoint },
      usedBytes: { value: u.layer.bytes },
      inodesUsed: { value: u.layer.inodes },
    },
  };
}

/** ContainerStats: an unknown id is NotFound (api.proto). */
export function createContainerStats(pods: Pods) {
  return async (req: ContainerStatsRequest): Promise<MessageInitShape<typeof ContainerStatsResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    return { stats: await containerStatsOf(pods, await pods.containers.get(req.containerId)) };
  };
}

/** The containers a stats filter selects: id prefix, sandbox id prefix, labels. */
async function selected(pods: Pods, filter: ContainerStatsFilter | undefined): Promise<ContainerRecord[]> {
  return (await pods.containers.list()).filter((c) => {
    if (filter?.id && !c.id.startsWith(filter.id)) return false;
    if (filter?.podSandboxId && !c.sandboxId.startsWith(filter.podSandboxId)) return false;
    return matchesLabels(() => containerConfigView(c).labels, filter?.labelSelector);
  });
}

export function createListContainerStats(pods: Pods) {
  return async (req: ListContainerStatsRequest): Promise<MessageInitShape<typeof ListContainerStatsResponseSchema>> => ({
    stats: await Promise.all((await selected(pods, req.filter)).map((c) => containerStatsOf(pods, c))),
  });
}

/** StreamContainerStats: the same result as ListContainerStats, in batches. */
export function createStreamContainerStats(pods: Pods) {
  return async function* (req: StreamContainerStatsRequest): AsyncIterable<MessageInitShape<typeof StreamContainerStatsResponseSchema>> {
    const all = await selected(pods, req.filter);
    for (let i = 0; i < all.length; i += STREAM_BATCH) {
      yield { containerStats: await Promise.all(all.slice(i, i + STREAM_BATCH).map((c) => containerStatsOf(pods, c))) };
    }
  };
}
