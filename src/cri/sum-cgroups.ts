import type { CgroupStats } from "../container/cgroup-stats.ts";

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
