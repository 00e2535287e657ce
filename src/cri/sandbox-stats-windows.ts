/**
 * The `windows` part of PodSandboxStats, which a Windows kubelet reads, as containerd fills
 * it (internal/cri/server/sandbox_stats_windows.go): per running container its CPU time,
 * private working set and commit charge, and its writable layer; for the pod the sums of
 * those over the pod's own figures (the pause container's; a Hyper-V pod has none) and its
 * running containers, its processes, and its HNS endpoints' traffic (the first endpoint the
 * default interface). The CPU rate (`usage_nano_cores`) is worked out from the previous
 * sample of the same container or pod, 0 on the first, as containerd does.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { WindowsContainerStatsSchema, WindowsPodSandboxStatsSchema } from "../gen/runtime/v1/api_pb.ts";
import type { ContainerUsage } from "../container/container-usage.ts";
import { containerConfigView } from "../container/container-record.ts";
import type { PodUsage } from "../sandbox/pod-usage.ts";
import type { ContainerRecord } from "../store/index.ts";
import { sumCgroups } from "./sum-cgroups.ts";

type PodStats = MessageInitShape<typeof WindowsPodSandboxStatsSchema>;
type ContainerStats = MessageInitShape<typeof WindowsContainerStatsSchema>;
const u64 = (v: bigint | undefined) => (v === undefined ? undefined : { value: v });

/** The last CPU sample of each container and pod, for the rate between two samples. */
export class CpuRates {
  readonly #last = new Map<string, { at: bigint; ns: bigint }>();

  /** Nanocores since the previous sample of `id`; 0 for the first (or a counter that went back). */
  rate(id: string, at: bigint, ns: bigint): bigint {
    const prev = this.#last.get(id);
    this.#last.set(id, { at, ns });
    if (!prev || at <= prev.at || ns < prev.ns) return 0n;
    return ((ns - prev.ns) * 1_000_000_000n) / (at - prev.at);
  }

  /** Drops the samples of ids no longer listed. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of this.#last.keys()) if (!ids.has(id)) this.#last.delete(id);
  }
}

function cpuMemory(id: string, t: bigint, cg: ContainerUsage["cgroup"], rates: CpuRates): Pick<ContainerStats, "cpu" | "memory"> {
  const mem = cg?.memory;
  return {
    cpu: cg?.cpuNs === undefined ? undefined : { timestamp: t, usageCoreNanoSeconds: u64(cg.cpuNs), usageNanoCores: u64(rates.rate(id, t, cg.cpuNs)) },
    memory: mem && { timestamp: t, workingSetBytes: u64(mem.workingSet), commitMemoryBytes: u64(mem.usage) },
  };
}

export function windowsPodStats(
  podId: string,
  pod: PodUsage,
  usages: readonly { c: ContainerRecord; u: ContainerUsage & { fsMountpoint: string } }[],
  rates: CpuRates,
): PodStats {
  const running = usages.filter(({ c }) => c.state === "running");
  const containers: ContainerStats[] = running.map(({ c, u }) => {
    const config = containerConfigView(c);
    return {
      attributes: { id: c.id, metadata: config.metadata, labels: config.labels, annotations: config.annotations },
      ...cpuMemory(c.id, u.timestamp, u.cgroup, rates),
      writableLayer: { timestamp: u.timestamp, fsId: { mountpoint: u.fsMountpoint }, usedBytes: u64(u.layer.bytes) },
    };
  });
  const t = pod.timestamp;
  const total = sumCgroups([pod.infra, ...running.map(({ u }) => u.cgroup)]);
  const endpoints = pod.windows?.endpoints?.map((e) => ({
    name: e.name,
    rxBytes: u64(e.rxBytes),
    rxPacketsDropped: u64(e.rxDropped),
    txBytes: u64(e.txBytes),
    txPacketsDropped: u64(e.txDropped),
  }));
  return {
    ...cpuMemory(podId, t, total, rates),
    network: endpoints && { timestamp: t, defaultInterface: endpoints[0], interfaces: endpoints },
    process: total?.processes === undefined ? undefined : { timestamp: t, processCount: u64(BigInt(total.processes)) },
    containers,
  };
}
