/**
 * Reads the stdio pipes HCS hands out without blocking the JS thread and without a thread
 * per pipe: one timer asks PeekNamedPipe how many bytes wait in each pipe and ReadFile
 * takes exactly those, so ReadFile never blocks. When the writer's end is gone, PeekNamedPipe
 * fails (ERROR_BROKEN_PIPE): that is the end of the stream.
 */
import type { PipeReader } from "../windows-host.ts";
import type { Callable } from "./ffi-types.ts";
import type { KERNEL32 } from "./kernel32.ts";

const MAX_READ = 64 * 1024;

type Kernel32 = Pick<Callable<typeof KERNEL32>, "PeekNamedPipe" | "ReadFile">;

type Watched = {
  handle: bigint;
  queue: (Uint8Array | null)[];
  waiting?: (c: Uint8Array | null) => void;
  done: boolean;
};

function deliver(w: Watched, c: Uint8Array | null): void {
  const fn = w.waiting;
  if (fn) {
    w.waiting = undefined;
    fn(c);
  } else w.queue.push(c);
}

export class PipePoller {
  readonly #pipes = new Set<Watched>();
  #timer: Timer | undefined;

  constructor(
    private readonly k32: Kernel32,
    private readonly intervalMs = 25,
  ) {}

  /** A reader over `handle`. The poller never closes handles: that is the process's owner's job. */
  reader(handle: number): PipeReader {
    const w: Watched = { handle: BigInt(handle), queue: [], done: false };
    this.#pipes.add(w);
    this.#start();
    return {
      read: () => {
        if (w.queue.length > 0) return Promise.resolve(w.queue.shift() ?? null);
        if (w.done) return Promise.resolve(null);
        return new Promise((resolve) => {
          w.waiting = resolve;
        });
      },
      close: () => this.#end(w),
    };
  }

  #end(w: Watched): void {
    if (w.done) return;
    w.done = true;
    this.#pipes.delete(w);
    deliver(w, null);
  }

  #start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.poll(), this.intervalMs);
    this.#timer.unref?.();
  }

  /** One round over every pipe (the timer calls it; tests call it directly). */
  poll(): void {
    const avail = new Uint32Array(1);
    const got = new Uint32Array(1);
    for (const w of this.#pipes) {
      avail[0] = 0;
      // Any failure ends the stream: a broken pipe is the writer gone, and a handle that
      // cannot be peeked now will not be readable later either.
      if (this.k32.PeekNamedPipe(w.handle, null, 0, null, avail, null) === 0) {
        this.#end(w);
        continue;
      }
      const n = Math.min(avail[0] ?? 0, MAX_READ);
      if (n === 0) continue;
      const buf = Buffer.alloc(n);
      got[0] = 0;
      if (this.k32.ReadFile(w.handle, buf, n, got, null) === 0) {
        this.#end(w);
        continue;
      }
      if ((got[0] ?? 0) > 0) deliver(w, new Uint8Array(buf.subarray(0, got[0])));
    }
    if (this.#pipes.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
