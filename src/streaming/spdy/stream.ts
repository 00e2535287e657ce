/**
 * One SPDY stream: its two half-closes, its windows, the peer's data queued for the
 * reader. The session routes frames here and owns the connection; a stream reaches
 * it only through `StreamHost`.
 */
import { RstStatus } from "./constants.ts";
import { SpdyStreamError } from "./errors.ts";
import { RecvWindow, SendWindow } from "../../flow-window.ts";
import { Signal } from "./signal.ts";
import type { ControlFrame } from "./frames.ts";
import type { SpdyHeaders } from "./header-block.ts";

/** What a stream needs from its session. */
export interface StreamHost {
  /** Encodes and writes a control frame (no-op once the session is gone). */
  send(frame: ControlFrame): void;
  /** Sends up to `want` bytes of `data` as one DATA frame once windows and the socket allow; resolves with how many went. */
  sendData(stream: SpdyStreamImpl, data: Uint8Array, fin: boolean): Promise<number>;
  /** The reader took (or the stream dropped) `n` buffered bytes: give window back. */
  taken(stream: SpdyStreamImpl, n: number): void;
  /** The stream is closed both ways or reset: forget it. */
  finished(stream: SpdyStreamImpl): void;
}

export class SpdyStreamImpl {
  readonly readable: ReadableStream<Uint8Array>;
  readonly closed: Promise<void>;
  readonly sendWindow: SendWindow;
  readonly recvWindow: RecvWindow;
  /** We sent FIN (or may never send: a unidirectional stream from the peer). */
  localDone = false;
  /** The peer sent FIN. */
  remoteDone = false;
  /** Why the stream ended abnormally; set once. */
  failure: Error | undefined;
  /** Ours: the peer's SYN_REPLY came. Theirs: we sent ours. */
  replied: boolean;

  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private readonly arrival = new Signal();
  private discard = false;
  private writeChain: Promise<unknown> = Promise.resolve();
  private resolveClosed!: () => void;
  private isFinished = false;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    readonly headers: SpdyHeaders,
    /** Opened by this side of the session. */
    readonly ours: boolean,
    sendWindowBytes: number,
    recvWindowBytes: number,
  ) {
    this.replied = false;
    this.sendWindow = new SendWindow(sendWindowBytes);
    this.recvWindow = new RecvWindow(recvWindowBytes);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.readable = new ReadableStream<Uint8Array>({ pull: (c) => this.pull(c), cancel: () => this.cancelRead() }, { highWaterMark: 0 });
  }

  /** Bytes received but not yet read. */
  get buffered(): number {
    return this.queuedBytes;
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.chain(async () => {
      if (this.localDone) throw this.failure ?? new SpdyStreamError(`stream ${this.id}: write after end`, this.id, RstStatus.streamAlreadyClosed);
      this.replyIfNeeded();
      let at = 0;
      while (at < chunk.length) at += await this.host.sendData(this, chunk.subarray(at), false);
    });
  }

  end(): Promise<void> {
    return this.chain(async () => {
      if (this.failure) throw this.failure;
      if (this.localDone) return;
      this.replyIfNeeded();
      await this.host.sendData(this, new Uint8Array(0), true);
      this.localDone = true;
      this.settle();
    });
  }

  reset(status: number = RstStatus.cancel): void {
    if (this.isFinished) return;
    this.host.send({ type: "rst_stream", streamId: this.id, status });
    this.fail(SpdyStreamError.of(this.id, status, "reset"), true);
  }

  reply(headers: SpdyHeaders = {}): void {
    if (this.ours || this.replied || this.isFinished) return;
    this.replied = true;
    this.host.send({ type: "syn_reply", streamId: this.id, fin: false, headers });
  }

  /** The peer's data for this stream (already counted against the windows). */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.discard) {
      this.host.taken(this, data.length);
      return;
    }
    // Copy: the bytes are a view into the socket's chunk, which must not be pinned.
    this.queue.push(data.slice());
    this.queuedBytes += data.length;
    this.arrival.notify();
  }

  /** The peer sent FIN. */
  remoteFinish(): void {
    this.remoteDone = true;
    this.arrival.notify();
    this.settle();
  }

  /**
   * Ends the stream abnormally: the peer reset it, the session ended, or (`local`) we
   * reset it. The reader still gets what was already received, unless we reset it; then
   * it errors, unless the peer had finished sending.
   */
  fail(err: Error, local = false): void {
    if (this.isFinished) return;
    this.failure = err;
    this.localDone = true;
    if (local) this.dropQueue();
    this.arrival.notify();
    this.finish();
  }

  private chain(step: () => Promise<void>): Promise<void> {
    const run = this.writeChain.then(step);
    this.writeChain = run.catch(() => {});
    return run;
  }

  private replyIfNeeded(): void {
    if (!this.ours && !this.replied) this.reply();
  }

  private settle(): void {
    if (this.localDone && this.remoteDone) this.finish();
  }

  private finish(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.host.finished(this);
    this.resolveClosed();
  }

  private dropQueue(): void {
    const n = this.queuedBytes;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (n > 0) this.host.taken(this, n);
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) {
        this.queuedBytes -= chunk.length;
        controller.enqueue(chunk);
        this.host.taken(this, chunk.length);
        return;
      }
      if (this.remoteDone) return controller.close();
      if (this.failure) return controller.error(this.failure);
      await this.arrival.wait();
    }
  }

  private cancelRead(): void {
    this.discard = true;
    this.dropQueue();
  }
}
