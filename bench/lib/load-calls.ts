/**
 * The calls of the load benchmark: a kubelet-shaped poller (the List calls of the PLEG
 * relist and the stats provider, every second), timed List calls, and adding containers
 * to pods that already run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CriClient } from "../../src/cli/cri-client.ts";
import { type ContainerConfig, benchContainerConfig, benchPodConfig } from "./pods-run.ts";
import { readCpuMs, readRss } from "./stats.ts";

export const LIST_METHODS = ["listPodSandbox", "listContainers", "listContainerStats", "listPodSandboxStats"] as const;
export type ListMethod = (typeof LIST_METHODS)[number];

/** One List call, timed (ms). */
export async function timedList(client: CriClient, method: ListMethod): Promise<number> {
  const t0 = performance.now();
  await (client.runtime[method] as (req: object) => Promise<unknown>)({});
  return performance.now() - t0;
}

export type Poller = {
  /** Latency of every call, by method (ms). */
  samples: Record<ListMethod, number[]>;
  failures: string[];
  stop(): Promise<void>;
};

/** Calls every List method at once, every `intervalMs`, until stopped. */
export function startPoller(client: CriClient, intervalMs = 1000): Poller {
  const p: Poller = {
    samples: { listPodSandbox: [], listContainers: [], listContainerStats: [], listPodSandboxStats: [] },
    failures: [],
    stop: async () => {},
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const tick = Bun.sleep(intervalMs);
      await Promise.all(
        LIST_METHODS.map((m) =>
          timedList(client, m).then(
            (ms) => p.samples[m].push(ms),
            (err: Error) => p.failures.push(`${m}: ${err.message}`),
          ),
        ),
      );
      await tick;
    }
  })();
  p.stop = async () => {
    running = false;
    await loop;
  };
  return p;
}

/** Adds container number `k` (sleeping, as the first) to pod `i`, already running. */
export async function addContainer(client: CriClient, podSandboxId: string, i: number, k: number, image: string, logRoot: string, cgroupParent?: string): Promise<void> {
  const sandboxConfig = benchPodConfig(i, logRoot, cgroupParent);
  fs.mkdirSync(path.join(logRoot, `bench-${i}`), { recursive: true });
  const config: ContainerConfig = { ...(benchContainerConfig(image) as object), metadata: { name: `sleeper-${k}`, attempt: 0 }, logPath: `sleeper-${k}.log` };
  const { containerId } = await client.runtime.createContainer({ podSandboxId, config, sandboxConfig });
  await client.runtime.startContainer({ containerId });
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export type Usage = { rssKiB: number[]; cpuMs: number; wallMs: number };

/** Samples a process's RSS every `everyMs` and its CPU time over the whole run. */
export function sampleUsage(pid: number, everyMs = 5000): { stop(): Usage } {
  const cpu0 = readCpuMs(pid);
  const t0 = performance.now();
  const rssKiB = [readRss(pid).rssKiB];
  const timer = setInterval(() => rssKiB.push(readRss(pid).rssKiB), everyMs);
  return {
    stop() {
      clearInterval(timer);
      rssKiB.push(readRss(pid).rssKiB);
      return { rssKiB, cpuMs: readCpuMs(pid) - cpu0, wallMs: performance.now() - t0 };
    },
  };
}

/**
 * Removes the cgroup tree `top` (e.g. "/skiff-bench-load-x") from every hierarchy, deepest
 * first; only empty cgroups can go, so a cgroup still in use stays and is reported.
 */
export function removeCgroupTree(top: string): string[] {
  const left: string[] = [];
  for (const ctrl of fs.readdirSync("/sys/fs/cgroup")) {
    const root = path.join("/sys/fs/cgroup", ctrl, top);
    if (!fs.existsSync(root)) continue;
    const dirs = [root, ...(fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => e.isDirectory()).map((e) => path.join(e.parentPath, e.name))];
    for (const dir of dirs.sort((a, b) => b.length - a.length)) {
      try {
        fs.rmdirSync(dir);
      } catch {
        left.push(dir);
      }
    }
  }
  return left;
}
