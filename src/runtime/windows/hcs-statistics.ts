/**
 * A container's CPU and memory from HCS `Statistics` and its process count from
 * `ProcessList` (HcsGetComputeSystemProperties with both in one query, "V1 and V2"
 * property types both), in the shape the CRI stats handlers take: CPU time
 * in ns (HCS counts 100 ns units), memory as the commit charge (usage) and the private
 * working set (what the kubelet evicts on).
 */
import type { CgroupStats } from "../../container/cgroup-stats.ts";

type Statistics = {
  Statistics?: {
    Processor?: { TotalRuntime100ns?: number };
    Memory?: { MemoryUsageCommitBytes?: number; MemoryUsagePrivateWorkingSetBytes?: number };
  };
  ProcessList?: unknown[];
};

/** The property query for CPU and memory figures and the processes (what containerd's pod stats count). */
export const STATISTICS_QUERY = JSON.stringify({ PropertyTypes: ["Statistics", "ProcessList"] });

export function readStatistics(properties: string): CgroupStats | undefined {
  const doc = JSON.parse(properties) as Statistics;
  const s = doc.Statistics;
  if (!s) return undefined;
  const cpu = s.Processor?.TotalRuntime100ns;
  const mem = s.Memory;
  return {
    cpuNs: cpu === undefined ? undefined : BigInt(cpu) * 100n,
    memory:
      mem?.MemoryUsageCommitBytes === undefined
        ? undefined
        : { usage: BigInt(mem.MemoryUsageCommitBytes), workingSet: BigInt(mem.MemoryUsagePrivateWorkingSetBytes ?? mem.MemoryUsageCommitBytes) },
    processes: doc.ProcessList?.length,
  };
}
