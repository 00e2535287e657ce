/**
 * Puts encoded frames on the connection. Control frames go out at once (they are small
 * and some answer the peer: PING, RST_STREAM); DATA frame senders first wait, while
 * `blocked`, for `drained()`, then check and write in one synchronous step, so a peer
 * that stops reading stalls our writers instead of growing our buffers past the
 * socket's high-water mark and one frame. A peer that stops reading yet keeps provoking control frames (a PING flood)
 * would still grow them: past `maxBacklogBytes` queued, `onOverflow` ends the session.
 */
import type { Duplex } from "node:stream";
import { Signal } from "./signal.ts";

export class FrameWriter {
  private needDrain = false;
  private closed = false;
  private overflowed = false;
  private readonly drainSignal = new Signal();
  /** When a frame last went out (ms since epoch), for the idle timeout. */
  lastWrite = Date.now();

  constructor(
    private readonly conn: Duplex,
    private readonly maxBacklogBytes: number,
    private readonly onOverflow: (queued: number) => void,
  ) {
    conn.on("drain", () => {
      this.needDrain = false;
      this.drainSignal.notify();
    });
  }

  /** Stops writing for good and wakes waiting writers (they then fail). */
  close(): void {
    this.closed = true;
    this.drainSignal.notify();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes a control frame now; false when the session can no longer write. */
  control(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.put(bytes);
    if (this.conn.writableLength > this.maxBacklogBytes && !this.overflowed) {
      this.overflowed = true; // once: ending the session writes a GOAWAY here too
      this.onOverflow(this.conn.writableLength);
    }
    return true;
  }

  /** The socket's buffer is over its high-water mark: DATA must wait for `drained()`. */
  get blocked(): boolean {
    return this.needDrain && !this.closed;
  }

  /** Resolves at the next 'drain' (or when the writer closes). */
  drained(): Promise<void> {
    return this.drainSignal.wait();
  }

  /** Writes a DATA frame now; the caller checked `blocked` in the same synchronous step. */
  data(bytes: Uint8Array): void {
    if (!this.closed) this.put(bytes);
  }

  private put(bytes: Uint8Array): void {
    this.lastWrite = Date.now();
    if (!this.conn.write(bytes)) this.needDrain = true;
  }
}
