/**
 * ADD results kept on disk, so DEL and CHECK get their `prevResult` and pod IPs are known
 * after a skiff restart. One JSON file per (container id, network, interface), under a
 * directory per container: `<dir>/<containerId>/<network>-<ifName>.json`.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readdir, readFile, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { CniResult } from "./cni-result.ts";
import type { NetworkConfigList } from "./network-config.ts";

const KIND = "skiff-cni-cache/1";

/** What one successful ADD left: enough to DEL it even if the config file is gone. */
export type CacheEntry = {
  /** Position of the network in the pod's ADD order: DEL runs in reverse. */
  seq: number;
  containerId: string;
  networkName: string;
  ifName: string;
  netnsPath: string;
  cniArgs: string;
  runtimeConfig: Record<string, unknown>;
  config: NetworkConfigList;
  result: CniResult;
};

export type ResultCache = {
  write(e: CacheEntry): Promise<void>;
  read(containerId: string, networkName: string, ifName: string): Promise<CacheEntry | undefined>;
  /** Every entry of a container, in ADD order; unreadable files are skipped. */
  list(containerId: string): Promise<CacheEntry[]>;
  remove(containerId: string, networkName: string, ifName: string): Promise<void>;
};

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException)?.code === "ENOENT";

function parseEntry(text: string): CacheEntry | undefined {
  try {
    const raw = JSON.parse(text) as { kind?: string; entry?: CacheEntry };
    return raw.kind === KIND && raw.entry && typeof raw.entry.networkName === "string" ? raw.entry : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cache rooted at `dir`. Writes go to a temp file that is renamed into place, so a
 * crash of skiff (even kill -9) leaves the old entry or the new one, never half a file.
 * No fsync, as libcni does not either: it would cost every pod start a disk flush, and
 * what it guards against, a power loss, also ends every pod the entry describes; DEL
 * without a cached result still frees the IPAM allocation, which host-local keys by
 * container id.
 */
export function createResultCache(dir: string): ResultCache {
  const fileOf = (c: string, n: string, i: string) => join(dir, c, `${n}-${i}.json`);

  async function readPath(p: string): Promise<CacheEntry | undefined> {
    try {
      return parseEntry(await readFile(p, "utf8"));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  return {
    // Synchronous on purpose: a few small-file syscalls cost less than the event loop
    // round trips of their async forms, and this runs on every pod start.
    async write(e) {
      const target = fileOf(e.containerId, e.networkName, e.ifName);
      mkdirSync(join(dir, e.containerId), { recursive: true, mode: 0o700 });
      const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        writeFileSync(tmp, JSON.stringify({ kind: KIND, entry: e }), { mode: 0o600 });
        renameSync(tmp, target);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    },
    read: (c, n, i) => readPath(fileOf(c, n, i)),
    async list(c) {
      let names: string[];
      try {
        names = await readdir(join(dir, c));
      } catch (err) {
        if (isNotFound(err)) return [];
        throw err;
      }
      const entries: CacheEntry[] = [];
      for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
        const e = await readPath(join(dir, c, name));
        if (e && e.containerId === c) entries.push(e);
      }
      return entries.sort((a, b) => a.seq - b.seq);
    },
    async remove(c, n, i) {
      await rm(fileOf(c, n, i), { force: true });
      // Drop the container's directory once empty; another entry still there keeps it.
      await rmdir(join(dir, c)).catch(() => {});
    },
  };
}
