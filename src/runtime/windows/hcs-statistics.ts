/**
 * A container's CPU and memory from HCS `Statistics` (HcsGetComputeSystemProperties with
 * `{"PropertyTypes":["Statistics"]}`), in the shape the CRI stats handlers take: CPU time
 * in ns (HCS counts 100 ns units), memory as the commit charge (usage) and the private
 * working set (what the kubelet evicts on).
 */
import type { CgroupStats } from "../../container/cgroup-stats.ts";

type Statistics = {
  Statistics?: {
    Processor?: { TotalRuntime100ns?: number };
    Memory?: { MemoryUsageCommitBytes?: number; MemoryUsagePrivateWorkingSetBytes?: number };
  };
};

export function readStatistics(properties: string): CgroupStats | undefined {
  const s = (JSON.parse(properties) as Statistics).Statistics;
  if (!s) return undefined;
  const cpu = s.Processor?.TotalRuntime100ns;
  const mem = s.Memory;
  return {
    cpuNs: cpu === undefined ? undefined : BigInt(cpu) * 100n,
    memory:
      mem?.MemoryUsageCommitBytes === undefined
        ? undefined
        : { usage: BigInt(mem.MemoryUsageCommitBytes), workingSet: BigInt(mem.MemoryUsagePrivateWorkingSetBytes ?? mem.MemoryUsageCommitBytes) },
  };
}
