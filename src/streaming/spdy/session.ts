/**
 * A SPDY/3.1 session over one upgraded connection, client or server side: frames in and
 * out, streams, flow control, PING, GOAWAY. See index.ts for how it meets Go's
 * moby/spdystream, the peer Kubernetes speaks.
 */
import type { Duplex } from "node:stream";
import { DEFAULT_WINDOW, GoAwayStatus, RstStatus, SettingsId } from "./constants.ts";
import { SpdySessionError, SpdyStreamError } from "./errors.ts";
import { RecvWindow, SendWindow } from "../../flow-window.ts";
import { Signal } from "./signal.ts";
import { FrameReader } from "./frame-reader.ts";
import { FrameWriter } from "./frame-writer.ts";
import { type ControlFrame, decodeControlFrame, encodeDataFrame, encodeFrame } from "./frames.ts";
import type { SpdyHeaders } from "./header-block.ts";
import { HeaderCompressor, HeaderDecompressor } from "./header-zlib.ts";
import { type ResolvedOptions, resolveOptions } from "./options.ts";
import { Pings } from "./pings.ts";
import { handleControlFrame } from "./session-control.ts";
import { InboundData } from "./session-data.ts";
import { SpdyStreamImpl, type StreamHost } from "./stream.ts";
import { StreamTable } from "./stream-table.ts";
import type { SpdySession, SpdySessionOptions, SpdyStream } from "./types.ts";
import type { SessionCore } from "./session-core.ts";

/** Largest DATA frame we send. */
const MAX_DATA_FRAME = 64 * 1024;
/** Queued output past which a peer that does not read but keeps asking for replies is cut off. */
const MAX_BACKLOG = 1024 * 1024;
/** How long a closing connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

export class SpdySessionImpl implements SpdySession, StreamHost, SessionCore {
  readonly closed: Promise<Error | undefined>;
  readonly streams: StreamTable;
  readonly pings: Pings;
  readonly opts: ResolvedOptions;
  /** The peer has shown it does SPDY/3.1 flow control (sent SETTINGS_INITIAL_WINDOW_SIZE or WINDOW_UPDATE). */
  peerFlowControl = false;
  peerInitialWindow = DEFAULT_WINDOW;
  peerMaxConcurrent = Number.POSITIVE_INFINITY;
  /** The peer's session window for what we send. */
  readonly sendWindow = new SendWindow(DEFAULT_WINDOW);
  /** Our session window for what the peer sends. */
  readonly recvWindow: RecvWindow;
  /** Wakes writers waiting for window or for a stream slot. */
  readonly changed = new Signal();

  private readonly writer: FrameWriter;
  private readonly reader: FrameReader;
  private readonly inbound: InboundData;
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor: HeaderDecompressor;
  private handler: ((s: SpdyStream) => void) | undefined;
  private unhandled: SpdyStreamImpl[] = [];
  private closing = false;
  private peerGoneAway = false;
  private dead = false;
  private reason: Error | undefined;
  private resolveClosed!: (err: Error | undefined) => void;
  private helloSent = false;
  /** Settles once our SETTINGS went out; a server waits for the client's first frame. */
  private readonly hello: Promise<void>;
  private resolveHello!: () => void;
  private lastRead = Date.now();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly conn: Duplex,
    readonly role: "client" | "server",
    opts: SpdySessionOptions = {},
    head?: Uint8Array,
  ) {
    this.opts = resolveOptions(opts);
    this.streams = new StreamTable(role);
    this.pings = new Pings(role);
    this.recvWindow = new RecvWindow(this.opts.sessionWindowBytes);
    this.decompressor = new HeaderDecompressor(this.opts.maxHeaderBytes);
    this.inbound = new InboundData(this, conn, this.opts.sessionWindowBytes);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.hello = new Promise((resolve) => (this.resolveHello = resolve));
    this.writer = new FrameWriter(conn, MAX_BACKLOG, (n) => this.sessionError(new SpdySessionError(`peer does not read: ${n} bytes queued`, GoAwayStatus.internalError)));
    this.reader = new FrameReader(
      {
        control: (type, flags, payload) => this.onControl(type, flags, payload),
        dataStart: (id, length, fin) => {
          if (!this.helloSent) this.sendHello();
          this.inbound.start(id, length, fin);
        },
        dataPiece: (piece) => this.inbound.piece(piece),
        dataEnd: () => this.inbound.end(),
      },
      this.opts.maxFrameBytes,
    );
    conn.on("data", (chunk: Uint8Array) => this.onBytes(chunk));
    conn.on("end", () => this.terminate(this.lostWith("closed by peer")));
    conn.on("error", (err: Error) => this.terminate(err));
    conn.on("close", () => this.onSocketClosed());
    // The server speaks only after the client's first frame: client-go reads the 101
    // response through a buffer it then drops, losing any bytes that came with it.
    if (role === "client") this.sendHello();
    // Frames that came with the HTTP head go first; streams they open wait for onStream.
    if (head && head.length > 0) this.onBytes(head);
    if (this.opts.idleTimeoutMs > 0) this.armIdleTimer(this.opts.idleTimeoutMs);
    if (conn.destroyed) queueMicrotask(() => this.onSocketClosed());
    else if (!this.dead) conn.resume(); // the session reads from here on, even if the upgrade code paused the socket
  }

  get streamCount(): number {
    return this.streams.size;
  }

  onStream(handler: (s: SpdyStream) => void): void {
    this.handler = handler;
    const waiting = this.unhandled;
    this.unhandled = [];
    for (const s of waiting) this.deliver(handler, s);
  }

  async open(headers: SpdyHeaders, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    await this.hello;
    for (;;) {
      if (this.dead) throw this.reason ?? new Error("spdy session closed");
      if (this.closing || this.peerGoneAway) throw new Error("spdy session is closing: no new streams");
      if (this.streams.count(true) < this.peerMaxConcurrent) break;
      await this.changed.wait();
    }
    const id = this.streams.peekOurId();
    const sent: SpdyHeaders = Object.create(null);
    for (const [k, v] of Object.entries(headers)) sent[k.toLowerCase()] = v;
    // Encode before registering: a header set that cannot be sent leaves no trace.
    const frame = encodeFrame({ type: "syn_stream", streamId: id, associatedId: 0, priority: 0, fin: opts.fin === true, unidirectional: false, headers }, this.compressor);
    const s = new SpdyStreamImpl(this, id, sent, true, this.peerInitialWindow, this.opts.initialWindowBytes);
    if (opts.fin) s.localDone = true;
    const replied = this.streams.addOurs(s);
    this.writer.control(frame);
    return replied;
  }

  async ping(timeoutMs = 30_000): Promise<number> {
    await this.hello;
    if (this.dead) throw this.reason ?? new Error("spdy session closed");
    return this.pings.start((id) => this.send({ type: "ping", id }), timeoutMs);
  }

  async close(opts: { force?: boolean } = {}): Promise<void> {
    if (!this.dead) {
      this.closing = true;
      if (opts.force || this.streams.size === 0) this.goAwayAndEnd(GoAwayStatus.ok);
    }
    await this.closed;
  }

  // ---- StreamHost ----

  send(frame: ControlFrame): void {
    if (this.dead) return;
    this.writer.control(encodeFrame(frame, this.compressor));
  }

  async sendData(s: SpdyStreamImpl, data: Uint8Array, fin: boolean): Promise<number> {
    for (;;) {
      while (this.writer.blocked) await this.writer.drained();
      if (s.failure) throw s.failure;
      if (this.dead) throw this.reason ?? new Error("spdy session closed");
      let n = Math.min(data.length, MAX_DATA_FRAME);
      if (this.peerFlowControl) n = Math.min(n, s.sendWindow.size, this.sendWindow.size);
      if (n > 0 || data.length === 0) {
        s.sendWindow.consume(n);
        this.sendWindow.consume(n);
        this.writer.data(encodeDataFrame(s.id, data.subarray(0, n), fin && n === data.length));
        return n;
      }
      await this.changed.wait();
    }
  }

  taken(s: SpdyStreamImpl, n: number): void {
    this.inbound.taken(s, n);
  }

  finished(s: SpdyStreamImpl): void {
    this.streams.remove(s, s.failure ?? new Error(`stream ${s.id} ended before its SYN_REPLY`));
    if (s.failure instanceof SpdyStreamError && !s.remoteDone) this.streams.rememberReset(s.id);
    this.changed.notify();
    if ((this.closing || this.peerGoneAway) && this.streams.size === 0) this.goAwayAndEnd(GoAwayStatus.ok);
  }

  // ---- for session-control.ts and session-data.ts ----

  /** The peer sent SETTINGS_INITIAL_WINDOW_SIZE or WINDOW_UPDATE: from now on windows count both ways. */
  peerKeepsWindows(): void {
    if (this.peerFlowControl) return;
    this.peerFlowControl = true;
    this.inbound.payOwed();
  }

  /** A SYN_STREAM passed the checks: a new stream from the peer. */
  acceptStream(id: number, headers: SpdyHeaders, fin: boolean, unidirectional: boolean): void {
    if (this.closing || this.peerGoneAway || this.streams.count(false) >= this.opts.maxConcurrentStreams) {
      this.send({ type: "rst_stream", streamId: id, status: RstStatus.refusedStream });
      this.streams.rememberReset(id);
      return;
    }
    const s = new SpdyStreamImpl(this, id, headers, false, this.peerInitialWindow, this.opts.initialWindowBytes);
    if (unidirectional) s.localDone = true;
    this.streams.addPeers(s);
    if (fin) s.remoteFinish();
    if (this.handler) this.deliver(this.handler, s);
    else this.unhandled.push(s);
  }

  /** The peer's GOAWAY: no new streams either way; the session ends when the open ones have. */
  onGoAway(lastGoodStreamId: number, status: number): void {
    this.peerGoneAway = true;
    if (status !== GoAwayStatus.ok) this.reason ??= new SpdySessionError(`peer went away with GOAWAY status ${status}`, status);
    // Streams we opened past the last one the peer accepted were never processed (2.6.6).
    for (const s of [...this.streams.byId.values()]) {
      if (s.ours && s.id > lastGoodStreamId) s.fail(new Error(`stream ${s.id} refused: the peer sent GOAWAY`));
    }
    this.changed.notify();
    if (this.streams.size === 0) this.goAwayAndEnd(GoAwayStatus.ok);
  }

  /** A stream error: RST_STREAM to the peer, and the stream fails here. */
  streamError(id: number, status: number, why: string): void {
    const s = this.streams.get(id);
    if (s) s.reset(status);
    else if (!this.streams.wasReset(id)) {
      this.send({ type: "rst_stream", streamId: id, status });
      this.streams.rememberReset(id);
    }
    this.opts.log?.debug(`spdy ${this.role}: stream ${id}: ${why}`);
  }

  sessionError(err: SpdySessionError): void {
    if (this.dead) return;
    this.opts.log?.debug(`spdy ${this.role}: session error: ${err.message}`);
    this.reason = err;
    this.goAwayAndEnd(err.goAwayStatus);
  }

  // ---- internals ----

  /** Hands a new stream to the application; a handler that throws costs the stream, not the session. */
  private deliver(handler: (s: SpdyStream) => void, s: SpdyStreamImpl): void {
    try {
      handler(s);
    } catch (err) {
      this.opts.log?.debug(`spdy ${this.role}: stream handler failed for stream ${s.id}: ${(err as Error).message}`);
      s.reset(RstStatus.internalError);
    }
  }

  private sendHello(): void {
    this.helloSent = true;
    this.resolveHello();
    const { initialWindowBytes, sessionWindowBytes, maxConcurrentStreams } = this.opts;
    this.send({
      type: "settings",
      clear: false,
      entries: [
        { id: SettingsId.maxConcurrentStreams, value: maxConcurrentStreams },
        { id: SettingsId.initialWindowSize, value: initialWindowBytes },
      ],
    });
    if (sessionWindowBytes > DEFAULT_WINDOW) this.send({ type: "window_update", streamId: 0, delta: sessionWindowBytes - DEFAULT_WINDOW });
  }

  private onBytes(chunk: Uint8Array): void {
    if (this.dead) return;
    this.lastRead = Date.now();
    try {
      this.reader.push(chunk);
    } catch (err) {
      if (err instanceof SpdySessionError) this.sessionError(err);
      else this.sessionError(new SpdySessionError(`internal error: ${(err as Error).message}`, GoAwayStatus.internalError));
    }
  }

  private onControl(type: number, flags: number, payload: Uint8Array): void {
    if (!this.helloSent) this.sendHello();
    const frame = decodeControlFrame(type, flags, payload, this.decompressor);
    this.opts.log?.debug(`spdy ${this.role}: received`, frame);
    if (frame.type !== "unknown") handleControlFrame(this, frame);
  }

  private goAwayAndEnd(status: number): void {
    if (this.dead) return;
    this.send({ type: "goaway", lastGoodStreamId: this.streams.lastPeerId, status });
    this.terminate(this.reason);
  }

  /** Ends everything: streams fail, pings and opens reject, the socket ends (and is destroyed if it lingers). */
  private terminate(reason: Error | undefined): void {
    if (this.dead) return;
    this.dead = true;
    this.reason ??= reason;
    this.reader.stop();
    this.writer.close();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const err = this.reason ?? new Error("spdy session closed");
    for (const s of [...this.streams.byId.values()]) s.fail(err);
    this.pings.failAll(err);
    this.resolveHello();
    this.changed.notify();
    this.inbound.release();
    this.conn.end();
    setTimeout(() => this.conn.destroy(), CLOSE_GRACE_MS).unref?.();
  }

  /**
   * Why the connection ending now is not clean: streams were open and the peer had not
   * said GOAWAY. (Kubernetes peers say GOAWAY, then close, leaving streams that they had
   * finished, and we had not, open: that is their normal goodbye.)
   */
  private lostWith(how: string): Error | undefined {
    if (this.peerGoneAway || this.streams.size === 0) return undefined;
    return new Error(`spdy connection ${how} with ${this.streams.size} streams open`);
  }

  private onSocketClosed(): void {
    this.terminate(this.lostWith("closed"));
    this.resolveClosed(this.reason);
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(() => {
      const idle = Date.now() - Math.max(this.lastRead, this.writer.lastWrite);
      if (idle >= ms) {
        this.reason ??= new Error(`spdy session idle for ${ms} ms`);
        this.goAwayAndEnd(GoAwayStatus.ok);
      } else this.armIdleTimer(ms - idle);
    }, ms);
    this.idleTimer.unref?.();
  }
}
