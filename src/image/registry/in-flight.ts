/**
 * Shares one run of a piece of work among concurrent callers with the same key: two
 * pulls of the same layer download it once. Each caller may cancel its own wait with
 * its own signal; the shared work is aborted only when every caller has gone, so one
 * impatient kubelet request cannot break another's pull.
 */

export type InFlight<V> = {
  /**
   * Runs `work` for `key`, or joins the run already going. `work` gets a signal that
   * aborts when the last waiter has cancelled.
   */
  run(key: string, work: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V>;
  /** Keys with work going, for tests and metrics. */
  keys(): string[];
};

type Entry<V> = { promise: Promise<V>; controller: AbortController; waiters: number };

export function createInFlight<V>(): InFlight<V> {
  const running = new Map<string, Entry<V>>();

  function start(key: string, work: (signal: AbortSignal) => Promise<V>): Entry<V> {
    const controller = new AbortController();
    const entry: Entry<V> = { controller, waiters: 0, promise: undefined as unknown as Promise<V> };
    entry.promise = (async () => {
      try {
        return await work(controller.signal);
      } finally {
        if (running.get(key) === entry) running.delete(key);
      }
    })();
    // Every waiter may have left before it settles; never leave the rejection unhandled.
    entry.promise.catch(() => {});
    running.set(key, entry);
    return entry;
  }

  function leave(key: string, entry: Entry<V>, reason: unknown): void {
    entry.waiters--;
    if (entry.waiters === 0) {
      // Nobody wants it any more: stop it, and let the next caller start afresh.
      if (running.get(key) === entry) running.delete(key);
      entry.controller.abort(reason);
    }
  }

  return {
    run(key, work, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const entry = running.get(key) ?? start(key, work);
      entry.waiters++;
      if (!signal) {
        return entry.promise.finally(() => {
          entry.waiters--;
        });
      }
      return new Promise<V>((resolve, reject) => {
        let left = false;
        const onAbort = () => {
          left = true;
          leave(key, entry, signal.reason);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        const settle = (ok: boolean, value: unknown) => {
          if (left) return;
          signal.removeEventListener("abort", onAbort);
          entry.waiters--;
          if (ok) resolve(value as V);
          else reject(value);
        };
        entry.promise.then(
          (v) => settle(true, v),
          (e) => settle(false, e),
        );
      });
    },
    keys: () => [...running.keys()],
  };
}
