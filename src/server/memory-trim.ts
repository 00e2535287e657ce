/**
 * Giving memory back after bursts of work. JavaScriptCore keeps the heap blocks, compiled
 * code and allocator pages a burst of calls left behind: measured on this project's
 * machine, skiff's anonymous memory went from 20 MiB idle to 42 MiB after 5,000 CRI calls
 * and stayed there; a full collection (`Bun.gc(true)`) gave back 3 MiB. `Bun.shrink()`
 * (JSC's "shrink footprint when idle": collect, drop compiled code, return free allocator
 * pages to the OS) took it back to 22 MiB within 3 s, for under 1 ms on the JS thread and
 * some recompiling of whatever runs next.
 *
 * Dropping the compiled code costs every call after it: shrinking every 30 s while
 * `bench/rpc.ts` kept calling raised skiff's CPU per call by about a third. So a timer
 * looks at the resident size now and then, and shrinks only when skiff has had no call
 * for `idleMs` and has grown by `thresholdBytes` since the level it settled at after the
 * last shrink: a daemon at rest gives its memory back; a busy one keeps its code warm.
 */

export type MemoryTrimOptions = {
  /** How often to look. */
  intervalMs: number;
  /** Growth over the settled level that is worth a shrink. */
  thresholdBytes: number;
  /** Least time between two shrinks. */
  minGapMs: number;
  /** How long without a call counts as at rest. */
  idleMs: number;
  /** When the last call was seen (same clock as `now`). */
  lastActivity: () => number;
  /** Resident bytes now. */
  resident: () => number;
  /** Gives memory back (Bun.shrink in the daemon). */
  shrink: () => void;
  now?: () => number;
  log?: { debug(...a: unknown[]): void };
};

export type MemoryTrimmer = {
  /** One look: shrinks if due; returns whether it did. Called by the timer, and by tests. */
  tick(): boolean;
  stop(): void;
};

/** Starts the timer (unreferenced, so it never keeps the process alive). */
export function startMemoryTrimmer(opts: MemoryTrimOptions): MemoryTrimmer {
  const trimmer = createMemoryTrimmer(opts);
  const timer = setInterval(() => trimmer.tick(), opts.intervalMs);
  timer.unref?.();
  return { tick: trimmer.tick, stop: () => clearInterval(timer) };
}

/** The policy alone, without a timer. */
export function createMemoryTrimmer(opts: MemoryTrimOptions): MemoryTrimmer {
  const now = opts.now ?? Date.now;
  let settled = opts.resident();
  let lastShrink = Number.NEGATIVE_INFINITY;
  // After a shrink the resident size keeps falling for a few seconds; the next look takes
  // the level it reached as the new base.
  let remeasure = false;
  return {
    tick() {
      const rss = opts.resident();
      if (remeasure) {
        settled = rss;
        remeasure = false;
        return false;
      }
      if (rss < settled) settled = rss;
      if (rss - settled < opts.thresholdBytes || now() - lastShrink < opts.minGapMs) return false;
      if (now() - opts.lastActivity() < opts.idleMs) return false;
      opts.shrink();
      opts.log?.debug(`memory: ${(rss / 2 ** 20).toFixed(1)} MiB resident, ${((rss - settled) / 2 ** 20).toFixed(1)} MiB over the settled level; shrinking`);
      lastShrink = now();
      remeasure = true;
      return true;
    },
    stop() {},
  };
}
