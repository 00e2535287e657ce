import type { PullEvent } from "./pull.ts";

/** What a progress watcher receives: the pull's events, then how it ended. */
export type WatchedEvent = PullEvent | { kind: "done"; id: string } | { kind: "failed"; message: string };

/**
 * Fans out pull progress to watchers (`skiff pull` over skiff.v1.Images/WatchPull), keyed
 * by the normalized reference, so a watcher that subscribed before PullImage sees it.
 */
export class PullEvents {
  readonly #subs = new Map<string, Set<(e: WatchedEvent) => void>>();

  subscribe(ref: string, fn: (e: WatchedEvent) => void): () => void {
    let set = this.#subs.get(ref);
    if (!set) this.#subs.set(ref, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.#subs.delete(ref);
    };
  }

  emit(ref: string, e: WatchedEvent): void {
    for (const fn of this.#subs.get(ref) ?? []) fn(e);
  }

  /** Events for `ref` as an async iterable that ends after done/failed or on abort. */
  async *watch(ref: string, signal: AbortSignal): AsyncIterable<WatchedEvent> {
    const queue: WatchedEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe(ref, (e) => {
      queue.push(e);
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const e = queue.shift();
        if (!e) {
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        yield e;
        if (e.kind === "done" || e.kind === "failed") return;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      unsubscribe();
    }
  }
}
