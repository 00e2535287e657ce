/**
 * What a container uses now: CPU and memory from its cgroup while it runs, and the disk
 * its writable layer takes (bytes in allocated blocks, as du counts them, and inodes,
 * hard links once).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContainerRecord } from "../store/index.ts";
import { type CgroupRoots, type CgroupStats, readCgroupStats } from "./cgroup-stats.ts";

export type ContainerUsage = {
  /** When it was read, ns since the epoch. */
  timestamp: bigint;
  /** Only for a running container. */
  cgroup?: CgroupStats;
  layer: { bytes: bigint; inodes: bigint };
};

/** Disk use of everything under `dir` (itself included); a missing dir uses nothing. */
export function dirUsage(dir: string): { bytes: bigint; inodes: bigint } {
  let bytes = 0n;
  const seen = new Set<bigint>();
  const visit = (p: string) => {
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(p, { bigint: true });
    } catch {
      return; // removed while we walked
    }
    if (seen.has(st.ino)) return;
    seen.add(st.ino);
    bytes += st.blocks * 512n;
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = fs.readdirSync(p);
    } catch {
      return;
    }
    for (const n of names) visit(path.join(p, n));
  };
  visit(dir);
  return { bytes, inodes: BigInt(seen.size) };
}

export function containerUsage(rec: ContainerRecord, upperDir: string, now: bigint, roots?: CgroupRoots): ContainerUsage {
  const pid = (rec.info as { pid?: unknown }).pid;
  const cgroup = rec.state === "running" && typeof pid === "number" ? readCgroupStats(pid, roots) : undefined;
  return { timestamp: now, cgroup, layer: dirUsage(upperDir) };
}
