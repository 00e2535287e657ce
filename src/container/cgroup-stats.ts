/**
 * CPU and memory use of a running container, read from its cgroup: the one its init
 * process is in (/proc/<pid>/cgroup), so the path is right whatever cgroup driver or
 * parent made it. cgroup v1 (each controller its own hierarchy, as on hybrid hosts) and
 * v2 are both read. The roots are parameters so tests can stand a temp dir in for /proc
 * and /sys/fs/cgroup (STYLE.md, "Do this" 7).
 *
 * File formats: https://docs.kernel.org/admin-guide/cgroup-v1/memory.html,
 * cgroup-v1/cpuacct.html and https://docs.kernel.org/admin-guide/cgroup-v2.html.
 */
import * as path from "node:path";
import { readOr } from "../runtime/read-or.ts";

export type CgroupRoots = { proc: string; cgroup: string };
const HOST_ROOTS: CgroupRoots = { proc: "/proc", cgroup: "/sys/fs/cgroup" };

export type MemoryStats = {
  usage: bigint;
  /** Usage less inactive file cache: what the kubelet's eviction counts. */
  workingSet: bigint;
  rss?: bigint;
  pageFaults?: bigint;
  majorPageFaults?: bigint;
  /** The limit, when there is one. */
  limit?: bigint;
};

export type CgroupStats = { cpuNs?: bigint; memory?: MemoryStats; /** Processes in the cgroup. */ processes?: number };

/** /proc/<pid>/cgroup: the v2 path ("0::/x"), and each v1 hierarchy's path by its controller list. */
export function parseProcCgroup(text: string): { unified?: string; v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "0" && m[2] === "") unified = m[3];
    else if (m[2]) v1.set(m[2]!, m[3]!);
  }
  return { unified, v1 };
}

/** `key value` lines (memory.stat, cpu.stat) as numbers. */
export function parseFlatKeyed(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) (\d+)$/.exec(line.trim());
    if (m) out.set(m[1]!, BigInt(m[2]!));
  }
  return out;
}

const num = (text: string | undefined): bigint | undefined => (text !== undefined && /^\d+$/.test(text.trim()) ? BigInt(text.trim()) : undefined);

/** v1 reports "no limit" as a page-rounded LONG_MAX. */
const V1_NO_LIMIT = 1n << 62n;

function workingSet(usage: bigint, inactiveFile: bigint | undefined): bigint {
  const ws = usage - (inactiveFile ?? 0n);
  return ws > 0n ? ws : 0n;
}

/** Where each version keeps the memory figures: file names, then memory.stat keys. */
const MEMORY_FILES = {
  v1: { usage: "memory.usage_in_bytes", limit: "memory.limit_in_bytes", inactiveFile: "total_inactive_file", rss: "total_rss", pgfault: "total_pgfault", pgmajfault: "total_pgmajfault" },
  // memory.max holds "max" when there is no limit, which `num` reads as none.
  v2: { usage: "memory.current", limit: "memory.max", inactiveFile: "inactive_file", rss: "anon", pgfault: "pgfault", pgmajfault: "pgmajfault" },
} as const;

/** Reads the memory files of one cgroup dir of either version. */
export function readMemory(dir: string, version: keyof typeof MEMORY_FILES): MemoryStats | undefined {
  const f = MEMORY_FILES[version];
  const usage = num(readOr(path.join(dir, f.usage), undefined));
  if (usage === undefined) return undefined;
  const stat = parseFlatKeyed(readOr(path.join(dir, "memory.stat"), ""));
  const limit = num(readOr(path.join(dir, f.limit), undefined));
  return {
    usage,
    workingSet: workingSet(usage, stat.get(f.inactiveFile)),
    rss: stat.get(f.rss),
    pageFaults: stat.get(f.pgfault),
    majorPageFaults: stat.get(f.pgmajfault),
    limit: limit !== undefined && limit < V1_NO_LIMIT ? limit : undefined,
  };
}

/** The dir of a v1 hierarchy whose controller list includes `controller` (mounted as "cpu,cpuacct" or on its own). */
function v1Dir(roots: CgroupRoots, v1: Map<string, string>, controller: string): string | undefined {
  for (const [list, p] of v1) {
    const names = list.split(",");
    if (!names.includes(controller)) continue;
    for (const mount of [list, controller, ...names]) {
      const dir = path.join(roots.cgroup, mount, p);
      if (readOr(path.join(dir, "cgroup.procs"), undefined) !== undefined) return dir;
    }
  }
  return undefined;
}

/** The v2 dir of a process's cgroup, on a host whose cgroup root is the unified hierarchy. */
function v2DirOf(roots: CgroupRoots, unified: string | undefined): string | undefined {
  // On a pure v2 host the root itself is the unified hierarchy; on a hybrid one it sits in "unified".
  const v2Root = readOr(path.join(roots.cgroup, "cgroup.controllers"), undefined) !== undefined ? roots.cgroup : undefined;
  return unified !== undefined && v2Root ? path.join(v2Root, unified) : undefined;
}

/** The memory cgroup of process `pid`: a v1 memory hierarchy dir or a v2 dir; undefined when the process is gone. */
export function memoryCgroupOf(pid: number, roots: CgroupRoots = HOST_ROOTS): { dir: string; version: "v1" | "v2" } | undefined {
  const self = readOr(path.join(roots.proc, String(pid), "cgroup"), undefined);
  if (self === undefined) return undefined;
  const { unified, v1 } = parseProcCgroup(self);
  const memV1 = v1Dir(roots, v1, "memory");
  if (memV1) return { dir: memV1, version: "v1" };
  const v2 = v2DirOf(roots, unified);
  return v2 ? { dir: v2, version: "v2" } : undefined;
}

/**
 * How many processes the OOM killer has killed in a memory cgroup: `oom_kill` of v1's
 * memory.oom_control (Linux 4.13 and newer) or of v2's memory.events; 0 when unknown.
 */
export function oomKillCount(cg: { dir: string; version: "v1" | "v2" }): number {
  const text = readOr(path.join(cg.dir, cg.version === "v1" ? "memory.oom_control" : "memory.events"), "");
  return Number(parseFlatKeyed(text).get("oom_kill") ?? 0n);
}

/**
 * The stats of the cgroup process `pid` is in; undefined when the process is gone.
 * A controller the host does not have leaves its part out.
 */
export function readCgroupStats(pid: number, roots: CgroupRoots = HOST_ROOTS): CgroupStats | undefined {
  const self = readOr(path.join(roots.proc, String(pid), "cgroup"), undefined);
  if (self === undefined) return undefined;
  const { unified, v1 } = parseProcCgroup(self);
  const out: CgroupStats = {};
  const memV1 = v1Dir(roots, v1, "memory");
  const cpuV1 = v1Dir(roots, v1, "cpuacct");
  const v2Dir = v2DirOf(roots, unified);
  const procsDir = memV1 ?? v2Dir;
  const procs = procsDir === undefined ? undefined : readOr(path.join(procsDir, "cgroup.procs"), undefined);
  if (procs !== undefined) out.processes = procs.split("\n").filter((l) => l.trim() !== "").length;
  if (memV1) out.memory = readMemory(memV1, "v1");
  else if (v2Dir) out.memory = readMemory(v2Dir, "v2");
  if (cpuV1) out.cpuNs = num(readOr(path.join(cpuV1, "cpuacct.usage"), undefined));
  else if (v2Dir) {
    const usec = parseFlatKeyed(readOr(path.join(v2Dir, "cpu.stat"), "")).get("usage_usec");
    if (usec !== undefined) out.cpuNs = usec * 1000n;
  }
  return out;
}
