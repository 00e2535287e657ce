/**
 * A bounded hand-over from a push source (frames off a socket) to a pull consumer (a
 * process's stdin): `push` resolves once fewer than `highWaterBytes` wait, so the caller
 * stops reading its socket while the consumer is behind.
 */
export class BytePipe {
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #waiters: (() => void)[] = [];
  #done = false;

  constructor(highWaterBytes = 256 * 1024) {
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#controller = c;
        },
        pull: () => this.#wake(),
        cancel: () => {
          this.#done = true;
          this.#wake();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: highWaterBytes }),
    );
  }

  /** Queues a chunk; resolves when there is room for more (at once while there is). */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.#done || chunk.length === 0) return;
    this.#controller.enqueue(chunk);
    while (!this.#done && (this.#controller.desiredSize ?? 0) <= 0) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The source has ended: the reader sees the end after the queued bytes. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.close();
    this.#wake();
  }

  /** The source failed: the reader gets `err`. */
  error(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.error(err);
    this.#wake();
  }

  get ended(): boolean {
    return this.#done;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

/**
 * A small queue read with `for await`; when more than `max` items wait the oldest are
 * dropped (for terminal sizes only the latest matters).
 */
export class LatestQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #wait: (() => void) | undefined;
  #ended = false;

  constructor(private readonly max = 8) {}

  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    if (this.#items.length > this.max) this.#items.shift();
    this.#wait?.();
  }

  end(): void {
    this.#ended = true;
    this.#wait?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wait = resolve));
      this.#wait = undefined;
    }
  }
}
