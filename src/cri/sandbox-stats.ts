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
import { InvalidArgumentError } from "../errors.ts";
import { sandboxConfigView } from "../sandbox/sandbox-record.ts";
import type { ContainerRecord, SandboxRecord } from "../store/index.ts";
import type { CgroupStats } from "../container/cgroup-stats.ts";
import type { ContainerUsage } from "../container/container-usage.ts";
import type { PodUsage } from "../sandbox/pod-usage.ts";
import { containerStatsOf, criUsage } from "./container-stats.ts";
import type { Pods } from "./context.ts";
import { STREAM_BATCH } from "./image-list.ts";
import { CpuRates, windowsPodStats } from "./sandbox-stats-windows.ts";
import { sumCgroups } from "./sum-cgroups.ts";
import { matchesLabels } from "./pod-convert.ts";

type Stats = MessageInitShape<typeof PodSandboxStatsSchema>;

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
  const pod = await pods.sandboxes.usage(rec);
  const list = await pods.containers.list({ sandboxId: rec.id });
  const containers = await Promise.all(list.map(async (c) => ({ c, u: await pods.containers.usage(c) })));
  return { pod, containers, total: sumCgroups([pod.infra, ...containers.map(({ u }) => u.cgroup)]) };
}

/** One pod's stats; the network is the pod's interfaces but `lo`, `eth0` the default. */
async function statsOf(pods: Pods, rec: SandboxRecord): Promise<Stats> {
  const config = sandboxConfigView(rec);
  const { pod, containers: usages, total } = await podReadings(pods, rec);
  const attributes = { id: rec.id, metadata: config.metadata, labels: config.labels, annotations: config.annotations };
  // A Windows pod's figures go where a Windows kubelet reads them.
  if (pod.windows) return { attributes, windows: windowsPodStats(rec.id, pod, usages, ratesOf(pods)) };
  const t = pod.timestamp;
  const ifaces = (pod.interfaces ?? []).map((i) => ({
    name: i.name,
    rxBytes: { value: i.rxBytes },
    rxErrors: { value: i.rxErrors },
    txBytes: { value: i.txBytes },
    txErrors: { value: i.txErrors },
  }));
  return {
    attributes,
    linux: {
      ...criUsage(t, total),
      network: pod.interfaces && { timestamp: t, defaultInterface: ifaces.find((i) => i.name === "eth0") ?? ifaces[0], interfaces: ifaces },
      process: total?.processes === undefined ? undefined : { timestamp: t, processCount: { value: BigInt(total.processes) } },
      containers: await Promise.all(usages.map(({ c, u }) => containerStatsOf(pods, c, u))),
    },
  };
}

/** The CPU samples of one daemon's pods and containers (the Windows stats give a rate). */
const rates = new WeakMap<Pods, CpuRates>();
function ratesOf(pods: Pods): CpuRates {
  let r = rates.get(pods);
  if (!r) rates.set(pods, (r = new CpuRates()));
  return r;
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
    return matchesLabels(() => sandboxConfigView(s).labels, filter?.labelSelector);
  });
}

export function createListPodSandboxStats(pods: Pods) {
  return async (req: ListPodSandboxStatsRequest): Promise<MessageInitShape<typeof ListPodSandboxStatsResponseSchema>> => {
    const stats = await Promise.all(selected(pods, req.filter).map((s) => statsOf(pods, s)));
    // An unfiltered list names every pod and running container: the CPU samples of the rest can go.
    if (!req.filter) ratesOf(pods).keepOnly(new Set(stats.flatMap((s) => [s.attributes?.id ?? "", ...(s.windows?.containers ?? []).map((c) => c.attributes?.id ?? "")])));
    return { stats };
  };
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
