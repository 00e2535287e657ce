/**
 * What a container uses now: CPU and memory from its cgroup while it runs, and the disk
 * its writable layer takes (bytes in allocated blocks, as du counts them, and inodes,
 * hard links once).
 *
 * The layer walk is asynchronous and its result kept for a while (`LayerUsageCache`): a
 * layer can hold a hundred thousand files, and a synchronous walk of it would stop every
 * other call for as long, on every stats poll.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { ContainerRecord } from "../store/index.ts";
import { type CgroupRoots, type CgroupStats, readCgroupStats } from "./cgroup-stats.ts";

/** Disk use of a tree: bytes in allocated blocks, and inodes. */
export type Layer = { bytes: bigint; inodes: bigint };

export type ContainerUsage = {
  /** When it was read, ns since the epoch. */
  timestamp: bigint;
  /** Only for a running container. */
  cgroup?: CgroupStats;
  layer: Layer;
};

/**
 * Disk use of everything under `dir` (itself included); a missing dir uses nothing.
 * One directory read or lstat at a time, each off the JS thread.
 */
export async function dirUsageAsync(dir: string): Promise<Layer> {
  let bytes = 0n;
  const seen = new Set<bigint>();
  const pending = [dir];
  while (pending.length > 0) {
    const p = pending.pop()!;
    const st = await fsp.lstat(p, { bigint: true }).catch(() => undefined);
    if (!st || seen.has(st.ino)) continue;
    seen.add(st.ino);
    bytes += st.blocks * 512n;
    if (st.isDirectory()) {
      for (const n of await fsp.readdir(p).catch(() => [] as string[])) pending.push(path.join(p, n));
    }
  }
  return { bytes, inodes: BigInt(seen.size) };
}

/**
 * Writable-layer usage per container, walked again at most once per `ttlMs`. Once a
 * container has a figure, a call past the time to live gets that figure at once and
 * starts the next walk behind it: a stats call for hundreds of containers would otherwise
 * wait for hundreds of walks every `ttlMs`. Only a container's first call waits for its
 * walk; calls that come while a walk runs share it.
 */
export class LayerUsageCache {
  readonly #entries = new Map<string, { at: number; value?: Layer; walk?: Promise<Layer> }>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(id: string, dir: string): Promise<Layer> {
    const e = this.#entries.get(id);
    if (e?.value) {
      if (this.now() - e.at >= this.ttlMs && !e.walk) this.#walk(id, dir, e.value).catch(() => {});
      return e.value;
    }
    return e?.walk ?? this.#walk(id, dir);
  }

  /** Walks `dir`, keeping `previous` on show meanwhile. */
  #walk(id: string, dir: string, previous?: Layer): Promise<Layer> {
    const walk = dirUsageAsync(dir);
    const entry: { at: number; value?: Layer; walk?: Promise<Layer> } = { at: 0, value: previous, walk };
    this.#entries.set(id, entry);
    // Only the entry this walk belongs to is updated: a container dropped meanwhile stays dropped.
    const mine = () => this.#entries.get(id) === entry;
    return walk.then(
      (value) => {
        if (mine()) this.#entries.set(id, { at: this.now(), value });
        return value;
      },
      (err) => {
        if (mine()) this.#entries.delete(id);
        throw err;
      },
    );
  }

  /** Forgets a removed container. */
  drop(id: string): void {
    this.#entries.delete(id);
  }
}

export async function containerUsage(rec: ContainerRecord, layer: Promise<Layer>, now: bigint, roots?: CgroupRoots): Promise<ContainerUsage> {
  const pid = (rec.info as { pid?: unknown }).pid;
  const cgroup = rec.state === "running" && typeof pid === "number" ? readCgroupStats(pid, roots) : undefined;
  return { timestamp: now, cgroup, layer: await layer };
}
