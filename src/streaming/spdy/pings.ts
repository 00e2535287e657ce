/**
 * PING bookkeeping (draft 3.1, section 2.6.5): ids are odd from a client and even from a
 * server, so each side can tell an echo of its own PING from one it must echo back.
 */
import { MAX_STREAM_ID } from "./constants.ts";

export class Pings {
  private next: number;
  /** Our PINGs awaiting their echo: called with nothing on the echo, or with why not. */
  private readonly waiting = new Map<number, (err?: Error) => void>();

  constructor(private readonly role: "client" | "server") {
    this.next = role === "client" ? 1 : 2;
  }

  /** Whether `id` is one we would send (so a PING with it is an echo, or noise). */
  ours(id: number): boolean {
    return id % 2 === (this.role === "client" ? 1 : 0);
  }

  /** Sends a PING with `send`; resolves with the round trip in ms. */
  start(send: (id: number) => void, timeoutMs: number): Promise<number> {
    const id = this.next;
    // Ids are 32-bit; past 2^31 they start again at 1 or 2 (2.6.5 allows reuse).
    this.next = id + 2 > MAX_STREAM_ID ? 2 - (id % 2) : id + 2;
    const started = performance.now();
    return new Promise<number>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (err) reject(err);
        else resolve(performance.now() - started);
      };
      const timer = setTimeout(() => done(new Error(`spdy ping ${id} got no answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, done);
      send(id);
    });
  }

  /** The peer echoed PING `id`; an echo of nothing we sent is ignored. */
  echoed(id: number): void {
    this.waiting.get(id)?.();
  }

  failAll(err: Error): void {
    for (const done of [...this.waiting.values()]) done(err);
  }
}
