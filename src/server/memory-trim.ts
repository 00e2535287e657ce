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
 * for `idleMs`: a daemon at rest gives its memory back; a busy one (a kubelet calls every
 * second) keeps its code warm. At rest it shrinks once after any calls since the last
 * shrink, and otherwise when it has grown by `thresholdBytes` over the level it settled
 * at. Growth alone was the only trigger once, and a burst that left 3–4 MiB over that
 * level kept it all: the same 40,000 calls left 12.3 or 17.5 MiB of anonymous memory
 * at rest, by chance (session 8, 0.5 s samples).
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
  // Calls after this moment (the start, then each shrink) are calls since the last shrink.
  let since = now();
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
      if (now() - lastShrink < opts.minGapMs || now() - opts.lastActivity() < opts.idleMs) return false;
      const calledSince = opts.lastActivity() > since;
      if (!calledSince && rss - settled < opts.thresholdBytes) return false;
      opts.shrink();
      const why = calledSince ? "at rest after calls" : `${((rss - settled) / 2 ** 20).toFixed(1)} MiB over the settled level`;
      opts.log?.debug(`memory: ${(rss / 2 ** 20).toFixed(1)} MiB resident, ${why}; shrinking`);
      lastShrink = now();
      since = lastShrink;
      remeasure = true;
      return true;
    },
    stop() {},
  };
}
