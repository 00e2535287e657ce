/**
 * Lifecycle events of pods and containers, for CRI GetContainerEvents (the kubelet's
 * evented PLEG). The managers emit; each open stream subscribes with a bounded queue: a
 * reader that falls behind loses its oldest events (and is told so in the log) rather
 * than holding memory without end, as containerd does with its event buffer.
 */
export type PodEventType = "created" | "started" | "stopped" | "deleted";

/** `id` is a container's id, or the sandbox's own for a sandbox event. */
export type PodEvent = { id: string; sandboxId: string; type: PodEventType; at: bigint };

export type PodEventSubscription = {
  /** The next event; undefined once `signal` aborts or the subscription is closed. */
  next(signal?: AbortSignal): Promise<PodEvent | undefined>;
  close(): void;
  /** Events dropped because the queue was full. */
  readonly dropped: number;
};

export class PodEvents {
  readonly #subs = new Set<{ push(e: PodEvent): void }>();

  emit(e: PodEvent): void {
    for (const s of this.#subs) s.push(e);
  }

  /** Open subscriptions (for tests and metrics). */
  get subscribers(): number {
    return this.#subs.size;
  }

  subscribe(max = 1000): PodEventSubscription {
    const queue: PodEvent[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    let dropped = 0;
    const sub = {
      push: (e: PodEvent) => {
        if (queue.length >= max) {
          queue.shift();
          dropped++;
        }
        queue.push(e);
        wake?.();
      },
    };
    this.#subs.add(sub);
    const close = () => {
      closed = true;
      this.#subs.delete(sub);
      wake?.();
    };
    return {
      async next(signal) {
        while (queue.length === 0 && !closed && !signal?.aborted) {
          await new Promise<void>((resolve) => {
            // The abort listener goes with each wait: a stream lives for days.
            const onAbort = () => resolve();
            wake = () => {
              signal?.removeEventListener("abort", onAbort);
              resolve();
            };
            signal?.addEventListener("abort", onAbort, { once: true });
          });
          wake = undefined;
        }
        return closed || signal?.aborted ? undefined : queue.shift();
      },
      close,
      get dropped() {
        return dropped;
      },
    };
  }
}
