/**
 * One HTTP/2 request stream as the server's handler sees it: the request's headers, its
 * body as it arrives, and the response written back under flow control. The connection
 * (connection.ts) frames what the stream queues and feeds it what the peer sends.
 */
import { RecvWindow, SendWindow } from "../../flow-window.ts";
import { ErrorCode } from "./frames.ts";

/** Header fields in the order they go out. */
export type Fields = readonly (readonly [string, string])[];

/** What a stream asks of its connection. */
export interface StreamOwner {
  /** Frames `fields` as HEADERS (+ CONTINUATION) now, ending the stream when `endStream`. */
  sendHeaders(stream: H2Stream, fields: Fields, endStream: boolean): void;
  /** The stream has data or an end to send. */
  wantsToSend(stream: H2Stream): void;
  /** RST_STREAM with `code`; the stream is closed by the time this returns. */
  resetStream(stream: H2Stream, code: number): void;
  /** The handler took `n` bytes of the body: the peer may send that many more. */
  credit(stream: H2Stream, n: number): void;
  /** The stream no longer holds one of the connection's concurrent-stream slots. */
  released(stream: H2Stream): void;
}

/** A stream that is closed (reset by either side, or its connection gone) was used. */
export class StreamClosedError extends Error {
  constructor(readonly code: number) {
    super(code === ErrorCode.NO_ERROR ? "the stream is closed" : `the stream was reset (HTTP/2 error ${code})`);
  }
}

/** Queued response bytes past which `write` asks the writer to wait for `drained()`. */
const HIGH_WATER = 64 * 1024;
/**
 * Body pieces under this size are gathered into one buffer before they are queued: flow
 * control counts bytes, not pieces, and a piece costs a buffer object whatever its size.
 */
const SMALL_PIECE = 4096;

export class H2Stream {
  /** Response bytes queued and not yet framed, in order. */
  readonly outQueue: Uint8Array[] = [];
  outBytes = 0;
  /** How much the peer lets us send on this stream (may go negative after a SETTINGS change). */
  readonly sendWindow: SendWindow;
  /** How much the peer may still send on this stream, and what the handler took that is not credited yet. */
  readonly recvWindow: RecvWindow;
  /** The response's trailers, framed once the queued data is out. */
  trailers: Fields | undefined;
  /** `end` was called: after the queue, END_STREAM goes out. */
  localEnding = false;
  /** END_STREAM was framed. */
  localDone = false;
  /**
   * Once the response is out, reset what is left of the request (RST_STREAM NO_ERROR)
   * instead of waiting for its end: for an answer that refused the request's body.
   */
  cutRequestOnEnd = false;
  /** The peer's END_STREAM came. */
  remoteEnded: boolean;
  headersSent = false;
  closed = false;
  closeCode: number = ErrorCode.NO_ERROR;
  /** Called before each write with its size; may reset the stream and throw (call-limits.ts). */
  beforeWrite: ((n: number) => void) | undefined;

  private readonly inbox: Uint8Array[] = [];
  /** Small pieces gathered, not yet in the inbox (reused: the inbox gets copies). */
  private tail: Buffer | undefined;
  private tailLength = 0;
  private wake: (() => void) | undefined;
  private readonly endListeners: (() => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private readonly releaseListeners: (() => void)[] = [];
  private held = false;
  /** Body bytes the reader never got: the stream closed with them unread. */
  private truncated = false;
  private releasedSlot = false;

  constructor(
    readonly owner: StreamOwner,
    readonly id: number,
    /** The request's header fields, pseudo-headers included; repeated names joined. */
    readonly headers: ReadonlyMap<string, string>,
    endStream: boolean,
    sendWindow: number,
    recvWindow: number,
    /** When the request's headers arrived (Date.now()). */
    readonly arrived = Date.now(),
  ) {
    this.remoteEnded = endStream;
    this.sendWindow = new SendWindow(sendWindow);
    this.recvWindow = new RecvWindow(recvWindow);
  }

  // ---- the request

  /**
   * The request body's chunks as they arrive; ends at the peer's END_STREAM, throws
   * StreamClosedError when the stream closes first. Each chunk taken lets the peer send
   * as many bytes more (flow control), so a handler that stops reading stops the peer.
   * One reader per stream.
   */
  async *body(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      if (this.inbox.length === 0) this.flushTail();
      const chunk = this.inbox.shift();
      if (chunk) {
        this.owner.credit(this, chunk.byteLength);
        yield chunk;
        continue;
      }
      if (this.remoteEnded && !this.truncated) return;
      if (this.closed) throw new StreamClosedError(this.closeCode);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Runs `fn` once the request's END_STREAM came (at once if it has). */
  onRequestEnd(fn: () => void): void {
    if (this.remoteEnded) fn();
    else this.endListeners.push(fn);
  }

  /** Runs `fn` once the stream closes, however it closes. */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  // ---- the response

  /** Sends the response's headers; with `endStream` they are the whole response. */
  respond(fields: Fields, endStream = false): void {
    if (this.closed) throw new StreamClosedError(this.closeCode);
    if (this.headersSent) throw new Error("response headers were already sent");
    this.headersSent = true;
    if (endStream) this.localEnding = true;
    this.owner.sendHeaders(this, fields, endStream);
  }

  /** Queues response bytes; false when enough is queued that the writer should await `drained()`. */
  write(bytes: Uint8Array): boolean {
    if (this.closed) throw new StreamClosedError(this.closeCode);
    if (!this.headersSent || this.localEnding) throw new Error("write outside a response's headers and end");
    this.beforeWrite?.(bytes.byteLength);
    if (bytes.byteLength > 0) {
      this.outQueue.push(bytes);
      this.outBytes += bytes.byteLength;
      this.owner.wantsToSend(this);
    }
    return this.outBytes < HIGH_WATER;
  }

  /** Ends the response: the queued data, then `trailers` (or an empty DATA) with END_STREAM. */
  end(trailers?: Fields): void {
    if (this.closed) throw new StreamClosedError(this.closeCode);
    if (!this.headersSent || this.localEnding) throw new Error("end outside a response's headers and end");
    this.localEnding = true;
    this.trailers = trailers;
    this.owner.wantsToSend(this);
  }

  /** Resolves once the queue is under the high-water mark, or the stream closed. */
  drained(): Promise<void> {
    if (this.closed || this.outBytes < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Response bytes not yet framed (waiting on flow control or on the socket). */
  get unsent(): number {
    return this.outBytes;
  }

  /** Resets the stream (RST_STREAM `code`); nothing more is sent or read. */
  reset(code: number = ErrorCode.CANCEL): void {
    if (!this.closed) this.owner.resetStream(this, code);
  }

  /**
   * Keeps the stream's concurrent-stream slot after the stream closes, until `release`:
   * work a handler still does for a stream the peer reset counts against the peer.
   */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    if (this.closed) this.giveBackSlot();
  }

  /** Runs `fn` once the stream is closed and its handler has released it (see `hold`). */
  onReleased(fn: () => void): void {
    if (this.releasedSlot) fn();
    else this.releaseListeners.push(fn);
  }

  // ---- called by the connection

  /** A chunk of the request body (a view of the connection's input: copied here). */
  received(chunk: Uint8Array): void {
    if (chunk.byteLength >= SMALL_PIECE) {
      this.flushTail();
      this.inbox.push(Buffer.from(chunk));
    } else {
      if (this.tailLength + chunk.byteLength > SMALL_PIECE) this.flushTail();
      this.tail ??= Buffer.allocUnsafe(SMALL_PIECE);
      this.tail.set(chunk, this.tailLength);
      this.tailLength += chunk.byteLength;
    }
    this.wakeReader();
  }

  private flushTail(): void {
    if (this.tailLength === 0) return;
    this.inbox.push(Buffer.from(this.tail!.subarray(0, this.tailLength)));
    this.tailLength = 0;
  }

  /** The peer's END_STREAM. */
  remoteEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.wakeReader();
    for (const fn of this.endListeners.splice(0)) fn();
  }

  /** Drops the body chunks nobody took; returns their size, for the connection's window. */
  discardInbox(): number {
    this.flushTail();
    this.tail = undefined;
    let n = 0;
    for (const c of this.inbox) n += c.byteLength;
    this.inbox.length = 0;
    if (n > 0) this.truncated = true;
    return n;
  }

  /** Takes up to `max` bytes of queued response data. */
  take(max: number): Uint8Array {
    const head = this.outQueue[0]!;
    let piece: Uint8Array;
    if (head.byteLength <= max) {
      piece = head;
      this.outQueue.shift();
    } else {
      piece = head.subarray(0, max);
      this.outQueue[0] = head.subarray(max);
    }
    this.outBytes -= piece.byteLength;
    if (this.outBytes < HIGH_WATER) for (const fn of this.drainWaiters.splice(0)) fn();
    return piece;
  }

  /** Marks the stream closed with `code` and tells everyone waiting on it. */
  close(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.outQueue.length = 0;
    this.outBytes = 0;
    this.wakeReader();
    for (const fn of this.drainWaiters.splice(0)) fn();
    this.endListeners.length = 0;
    for (const fn of this.closeListeners.splice(0)) fn();
    if (!this.held) this.giveBackSlot();
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private giveBackSlot(): void {
    if (this.releasedSlot) return;
    this.releasedSlot = true;
    this.owner.released(this);
    for (const fn of this.releaseListeners.splice(0)) fn();
  }
}
