import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ListPodSandboxStatsRequest,
  ListPodSandboxStatsResponseSchema,
  PodSandboxStatsFilter,
  PodSandboxStatsRequest,
  PodSandboxStatsResponseSchema,
  PodSandboxStatsSchema,
  StreamPodSandboxStatsRequest,
  StreamPodSandboxStatsResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import type { CgroupStats } from "../container/cgroup-stats.ts";
import { InvalidArgumentError } from "../errors.ts";
import { sandboxConfigOf } from "../sandbox/sandbox-manager.ts";
import type { ContainerRecord, SandboxRecord } from "../store/index.ts";
import type { ContainerUsage } from "../container/container-usage.ts";
import type { PodUsage } from "../sandbox/pod-usage.ts";
import { containerStatsOf, criUsage } from "./container-stats.ts";
import type { Pods } from "./context.ts";
import { STREAM_BATCH } from "./image-list.ts";
import { matchesLabels } from "./pod-convert.ts";

type Stats = MessageInitShape<typeof PodSandboxStatsSchema>;

/** The sum of several cgroups' figures; a figure none of them has stays unset. */
export function sumCgroups(all: readonly (CgroupStats | undefined)[]): CgroupStats | undefined {
  const present = all.filter((c): c is CgroupStats => c !== undefined);
  if (present.length === 0) return undefined;
  const add = (pick: (c: CgroupStats) => bigint | undefined) => {
    const vs = present.map(pick).filter((v): v is bigint => v !== undefined);
    return vs.length === 0 ? undefined : vs.reduce((a, b) => a + b, 0n);
  };
  const processes = present.map((c) => c.processes).filter((n): n is number => n !== undefined);
  return {
    cpuNs: add((c) => c.cpuNs),
    memory: !present.some((c) => c.memory) ? undefined : {
      usage: add((c) => c.memory?.usage) ?? 0n,
      workingSet: add((c) => c.memory?.workingSet) ?? 0n,
      rss: add((c) => c.memory?.rss),
      pageFaults: add((c) => c.memory?.pageFaults),
      majorPageFaults: add((c) => c.memory?.majorPageFaults),
    },
    processes: processes.length === 0 ? undefined : processes.reduce((a, b) => a + b, 0),
  };
}

/** What a pod uses now, read once for both its stats and its metrics. */
export type PodReadings = {
  pod: PodUsage;
  /** The pod's containers with what each uses (a stopped one has only its layer). */
  containers: { c: ContainerRecord; u: ContainerUsage & { fsMountpoint: string } }[];
  /**
   * CPU, memory and processes summed over the pod's own cgroup reading (its infra
   * process, where it has one) and those of its running containers (each has its own
   * cgroup, whatever the cgroup parent).
   */
  total: CgroupStats | undefined;
};

export async function podReadings(pods: Pods, rec: SandboxRecord): Promise<PodReadings> {
  const pod = pods.sandboxes.usage(rec);
  const list = await pods.containers.list({ sandboxId: rec.id });
  const containers = await Promise.all(list.map(async (c) => ({ c, u: await pods.containers.usage(c) })));
  return { pod, containers, total: sumCgroups([pod.infra, ...containers.map(({ u }) => u.cgroup)]) };
}

/** One pod's stats; the network is the pod's interfaces but `lo`, `eth0` the default. */
async function statsOf(pods: Pods, rec: SandboxRecord): Promise<Stats> {
  const config = sandboxConfigOf(rec);
  const { pod, containers, total } = await podReadings(pods, rec);
  const t = pod.timestamp;
  const ifaces = (pod.interfaces ?? []).map((i) => ({
    name: i.name,
    rxBytes: { value: i.rxBytes },
    rxErrors: { value: i.rxErrors },
    txBytes: { value: i.txBytes },
    txErrors: { value: i.txErrors },
  }));
  return {
    attributes: { id: rec.id, metadata: config.metadata, labels: config.labels, annotations: config.annotations },
    linux: {
      ...criUsage(t, total),
      network: pod.interfaces && { timestamp: t, defaultInterface: ifaces.find((i) => i.name === "eth0") ?? ifaces[0], interfaces: ifaces },
      process: total?.processes === undefined ? undefined : { timestamp: t, processCount: { value: BigInt(total.processes) } },
      containers: await Promise.all(containers.map(({ c, u }) => containerStatsOf(pods, c, u))),
    },
  };
}

/** PodSandboxStats: an unknown id is NotFound (api.proto). */
export function createPodSandboxStats(pods: Pods) {
  return async (req: PodSandboxStatsRequest): Promise<MessageInitShape<typeof PodSandboxStatsResponseSchema>> => {
    if (req.podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    return { stats: await statsOf(pods, pods.sandboxes.get(req.podSandboxId)) };
  };
}

/** The sandboxes a stats filter selects: id prefix, labels. */
function selected(pods: Pods, filter: PodSandboxStatsFilter | undefined): SandboxRecord[] {
  return pods.sandboxes.list().filter((s) => {
    if (filter?.id && !s.id.startsWith(filter.id)) return false;
    return matchesLabels(() => sandboxConfigOf(s).labels, filter?.labelSelector);
  });
}

export function createListPodSandboxStats(pods: Pods) {
  return async (req: ListPodSandboxStatsRequest): Promise<MessageInitShape<typeof ListPodSandboxStatsResponseSchema>> => ({
    stats: await Promise.all(selected(pods, req.filter).map((s) => statsOf(pods, s))),
  });
}

/** StreamPodSandboxStats: the same result as ListPodSandboxStats, in batches. */
export function createStreamPodSandboxStats(pods: Pods) {
  return async function* (req: StreamPodSandboxStatsRequest): AsyncIterable<MessageInitShape<typeof StreamPodSandboxStatsResponseSchema>> {
    const all = selected(pods, req.filter);
    for (let i = 0; i < all.length; i += STREAM_BATCH) {
      yield { podSandboxStats: await Promise.all(all.slice(i, i + STREAM_BATCH).map((s) => statsOf(pods, s))) };
    }
  };
}
