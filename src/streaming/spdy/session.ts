/**
 * A SPDY/3.1 session over one upgraded connection, client or server side: frames in and
 * out, streams, flow control, PING, GOAWAY. See index.ts for how it meets Go's
 * moby/spdystream, the peer Kubernetes speaks.
 */
import type { Duplex } from "node:stream";
import { DEFAULT_WINDOW, GoAwayStatus, MAX_STREAM_ID, MAX_WINDOW, RstStatus, SettingsId } from "./constants.ts";
import { SpdySessionError, SpdyStreamError } from "./errors.ts";
import { RecvWindow, SendWindow, Signal } from "./flow-window.ts";
import { FrameReader } from "./frame-reader.ts";
import { FrameWriter } from "./frame-writer.ts";
import { type ControlFrame, decodeControlFrame, encodeDataFrame, encodeFrame } from "./frames.ts";
import type { SpdyHeaders } from "./header-block.ts";
import { HeaderCompressor, HeaderDecompressor } from "./header-zlib.ts";
import { handleControlFrame } from "./session-control.ts";
import { SpdyStreamImpl, type StreamHost } from "./stream.ts";
import type { SpdySession, SpdySessionOptions, SpdyStream } from "./types.ts";

/** Largest DATA frame we send. */
const MAX_DATA_FRAME = 64 * 1024;
/** Queued output past which a peer that does not read but keeps asking for replies is cut off. */
const MAX_BACKLOG = 1024 * 1024;
/** How long a closing connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** How many ids of streams we reset are remembered, so late DATA for them is dropped quietly. */
const RESET_MEMORY = 1024;

export type ResolvedOptions = Required<Omit<SpdySessionOptions, "log">> & Pick<SpdySessionOptions, "log">;

export function resolveOptions(opts: SpdySessionOptions = {}): ResolvedOptions {
  const o = {
    maxFrameBytes: opts.maxFrameBytes ?? 1024 * 1024,
    initialWindowBytes: opts.initialWindowBytes ?? 256 * 1024,
    sessionWindowBytes: opts.sessionWindowBytes ?? 4 * 1024 * 1024,
    maxConcurrentStreams: opts.maxConcurrentStreams ?? 1000,
    maxHeaderBytes: opts.maxHeaderBytes ?? 256 * 1024,
    idleTimeoutMs: opts.idleTimeoutMs ?? 0,
    log: opts.log,
  };
  const range = (name: keyof typeof o, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`spdy option ${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  range("maxFrameBytes", o.maxFrameBytes, 8192, 0xff_ffff);
  // Below the default, a peer could overrun us before it sees our SETTINGS (2.6.8).
  range("initialWindowBytes", o.initialWindowBytes, DEFAULT_WINDOW, MAX_WINDOW);
  range("sessionWindowBytes", o.sessionWindowBytes, DEFAULT_WINDOW, MAX_WINDOW);
  range("maxConcurrentStreams", o.maxConcurrentStreams, 1, MAX_STREAM_ID);
  range("maxHeaderBytes", o.maxHeaderBytes, 1024, 0xff_ffff);
  range("idleTimeoutMs", o.idleTimeoutMs, 0, 2 ** 31 - 1);
  return o;
}

export class SpdySessionImpl implements SpdySession, StreamHost {
  readonly closed: Promise<Error | undefined>;
  readonly streams = new Map<number, SpdyStreamImpl>();
  readonly opts: ResolvedOptions;
  readonly writer: FrameWriter;
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
  lastPeerStreamId = 0;
  private peerGoneAway = false;
  /** Our PINGs awaiting their echo: called with undefined on the echo, or with why not. */
  readonly pings = new Map<number, (err?: Error) => void>();

  private readonly compressor = new HeaderCompressor();
  private readonly decompressor: HeaderDecompressor;
  private readonly reader: FrameReader;
  private nextStreamId: number;
  private nextPingId: number;
  private handler: ((s: SpdyStream) => void) | undefined;
  private unhandled: SpdyStreamImpl[] = [];
  private closing = false;
  private dead = false;
  private reason: Error | undefined;
  private resolveClosed!: (err: Error | undefined) => void;
  private helloSent = false;
  /** Settles once our SETTINGS went out; a server waits for the client's first frame. */
  private readonly hello: Promise<void>;
  private resolveHello!: () => void;
  private readonly pendingOpens = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void }>();
  private readonly resetIds = new Set<number>();
  private totalBuffered = 0;
  private paused = false;
  private dataTarget: SpdyStreamImpl | "drop" | undefined;
  private dataFin = false;
  private lastRead = Date.now();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly conn: Duplex,
    readonly role: "client" | "server",
    opts: SpdySessionOptions = {},
    head?: Uint8Array,
  ) {
    this.opts = resolveOptions(opts);
    this.recvWindow = new RecvWindow(this.opts.sessionWindowBytes);
    this.decompressor = new HeaderDecompressor(this.opts.maxHeaderBytes);
    this.nextStreamId = role === "client" ? 1 : 2;
    this.nextPingId = role === "client" ? 1 : 2;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.hello = new Promise((resolve) => (this.resolveHello = resolve));
    this.writer = new FrameWriter(conn, MAX_BACKLOG, (n) => this.sessionError(new SpdySessionError(`peer does not read: ${n} bytes queued`, GoAwayStatus.internalError)));
    this.reader = new FrameReader(
      {
        control: (type, flags, payload) => this.onControl(type, flags, payload),
        dataStart: (id, length, fin) => this.onDataStart(id, length, fin),
        dataPiece: (piece) => this.onDataPiece(piece),
        dataEnd: () => this.onDataEnd(),
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
    if (head && head.length > 0) queueMicrotask(() => this.onBytes(head));
    if (this.opts.idleTimeoutMs > 0) this.armIdleTimer(this.opts.idleTimeoutMs);
    if (conn.destroyed) queueMicrotask(() => this.onSocketClosed());
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
      if (this.ourOpenCount() < this.peerMaxConcurrent) break;
      await this.changed.wait();
    }
    if (this.nextStreamId > MAX_STREAM_ID) throw new Error("spdy session has used up its stream ids");
    const id = this.nextStreamId;
    const sent: SpdyHeaders = Object.create(null);
    for (const [k, v] of Object.entries(headers)) sent[k.toLowerCase()] = v;
    const s = new SpdyStreamImpl(this, id, sent, true, this.peerInitialWindow, this.opts.initialWindowBytes);
    // Encode before registering: a header set that cannot be sent leaves no trace.
    const frame = encodeFrame({ type: "syn_stream", streamId: id, associatedId: 0, priority: 0, fin: opts.fin === true, unidirectional: false, headers }, this.compressor);
    this.nextStreamId += 2;
    if (opts.fin) s.localDone = true;
    this.streams.set(id, s);
    const replied = new Promise<SpdyStream>((resolve, reject) => this.pendingOpens.set(id, { resolve, reject }));
    this.writer.control(frame);
    return replied;
  }

  async ping(timeoutMs = 30_000): Promise<number> {
    await this.hello;
    if (this.dead) throw this.reason ?? new Error("spdy session closed");
    const id = this.nextPingId;
    // Ids are 31-bit; past the top they start again at 1 or 2 (2.6.5 allows reuse).
    this.nextPingId = id + 2 > MAX_STREAM_ID ? 2 - (id % 2) : id + 2;
    const started = performance.now();
    return new Promise<number>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.pings.delete(id);
        if (err) reject(err);
        else resolve(performance.now() - started);
      };
      const timer = setTimeout(() => done(new Error(`spdy ping ${id} got no answer in ${timeoutMs} ms`)), timeoutMs);
      this.pings.set(id, done);
      this.send({ type: "ping", id });
    });
  }

  /** Whether a PING id is one we would have sent (odd for clients, even for servers). */
  ownPingId(id: number): boolean {
    return id % 2 === (this.role === "client" ? 1 : 0);
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
    this.totalBuffered -= n;
    const grant = s.recvWindow.take(n);
    if (grant > 0 && !s.remoteDone && !s.failure) this.send({ type: "window_update", streamId: s.id, delta: grant });
    this.takenBySession(n);
    if (this.paused && this.totalBuffered <= this.opts.sessionWindowBytes) {
      this.paused = false;
      this.conn.resume();
    }
  }

  finished(s: SpdyStreamImpl): void {
    this.streams.delete(s.id);
    const waiting = this.pendingOpens.get(s.id);
    if (waiting) {
      this.pendingOpens.delete(s.id);
      waiting.reject(s.failure ?? new Error(`stream ${s.id} ended before its SYN_REPLY`));
    }
    if (s.failure instanceof SpdyStreamError && !s.remoteDone) this.rememberReset(s.id);
    this.changed.notify();
    if ((this.closing || this.peerGoneAway) && this.streams.size === 0) this.goAwayAndEnd(GoAwayStatus.ok);
  }

  // ---- used by session-control.ts ----

  /** A SYN_STREAM passed the checks: a new stream from the peer. */
  acceptStream(id: number, headers: SpdyHeaders, fin: boolean, unidirectional: boolean): void {
    if (this.closing || this.peerGoneAway || this.peerOpenCount() >= this.opts.maxConcurrentStreams) {
      this.send({ type: "rst_stream", streamId: id, status: RstStatus.refusedStream });
      this.rememberReset(id);
      return;
    }
    const s = new SpdyStreamImpl(this, id, headers, false, this.peerInitialWindow, this.opts.initialWindowBytes);
    if (unidirectional) s.localDone = true;
    this.streams.set(id, s);
    if (fin) s.remoteFinish();
    if (this.handler) this.deliver(this.handler, s);
    else this.unhandled.push(s);
  }

  /** Hands a new stream to the application; a handler that throws costs the stream, not the session. */
  private deliver(handler: (s: SpdyStream) => void, s: SpdyStreamImpl): void {
    try {
      handler(s);
    } catch (err) {
      this.opts.log?.debug(`spdy ${this.role}: stream handler failed for stream ${s.id}: ${(err as Error).message}`);
      s.reset(RstStatus.internalError);
    }
  }

  /** The peer's SYN_REPLY for stream `s`, which we opened. */
  replied(s: SpdyStreamImpl): void {
    s.replied = true;
    const waiting = this.pendingOpens.get(s.id);
    this.pendingOpens.delete(s.id);
    waiting?.resolve(s);
  }

  /** The peer's GOAWAY: no new streams either way; the session ends when the open ones have. */
  onGoAway(lastGoodStreamId: number, status: number): void {
    this.peerGoneAway = true;
    if (status !== GoAwayStatus.ok) this.reason ??= new SpdySessionError(`peer went away with GOAWAY status ${status}`, status);
    // Streams we opened past the last one the peer accepted were never processed (2.6.6).
    for (const s of [...this.streams.values()]) {
      if (s.ours && s.id > lastGoodStreamId) s.fail(new Error(`stream ${s.id} refused: the peer sent GOAWAY`));
    }
    this.changed.notify();
    if (this.streams.size === 0) this.goAwayAndEnd(GoAwayStatus.ok);
  }

  /** A stream error: RST_STREAM to the peer, and the stream fails here. */
  streamError(id: number, status: number, why: string): void {
    const s = this.streams.get(id);
    if (s) s.reset(status);
    else if (!this.resetIds.has(id)) {
      this.send({ type: "rst_stream", streamId: id, status });
      this.rememberReset(id);
    }
    this.opts.log?.debug(`spdy ${this.role}: stream ${id}: ${why}`);
  }

  /** Whether `id` names a stream that was never opened, by either side. */
  neverOpened(id: number): boolean {
    const ours = id % 2 === this.nextStreamId % 2;
    return ours ? id >= this.nextStreamId : id > this.lastPeerStreamId;
  }

  sessionError(err: SpdySessionError): void {
    if (this.dead) return;
    this.opts.log?.debug(`spdy ${this.role}: session error: ${err.message}`);
    this.reason = err;
    this.goAwayAndEnd(err.goAwayStatus);
  }

  // ---- internals ----

  private ourOpenCount(): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.ours) n++;
    return n;
  }

  private peerOpenCount(): number {
    return this.streams.size - this.ourOpenCount();
  }

  private rememberReset(id: number): void {
    this.resetIds.add(id);
    if (this.resetIds.size > RESET_MEMORY) this.resetIds.delete(this.resetIds.values().next().value as number);
  }

  private takenBySession(n: number): void {
    const grant = this.recvWindow.take(n);
    if (grant > 0) this.send({ type: "window_update", streamId: 0, delta: grant });
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
    if (frame.type === "unknown") this.opts.log?.debug(`spdy ${this.role}: ignoring control frame type ${frame.frameType}`);
    else handleControlFrame(this, frame);
  }

  private onDataStart(id: number, length: number, fin: boolean): void {
    this.opts.log?.debug(`spdy ${this.role}: DATA`, id, length, fin);
    if (!this.helloSent) this.sendHello();
    this.dataFin = fin;
    this.dataTarget = "drop";
    // Every DATA byte counts against the session window, even those dropped (2.6.8).
    if (!this.recvWindow.receive(length) && this.peerFlowControl) {
      throw new SpdySessionError(`peer sent ${length} bytes on stream ${id}, past the session window`);
    }
    const s = this.streams.get(id);
    if (!s) {
      if (this.neverOpened(id)) throw new SpdySessionError(`DATA for stream ${id}, which was never opened`);
      if (!this.resetIds.has(id)) this.streamError(id, RstStatus.invalidStream, "DATA for a closed stream");
      return;
    }
    if (s.ours && !s.replied) return this.streamError(id, RstStatus.protocolError, "DATA before SYN_REPLY");
    if (s.remoteDone) return this.streamError(id, RstStatus.streamAlreadyClosed, "DATA after FIN");
    if (!s.recvWindow.receive(length) && this.peerFlowControl) return this.streamError(id, RstStatus.flowControlError, "DATA past the stream window");
    this.dataTarget = s;
  }

  private onDataPiece(piece: Uint8Array): void {
    const s = this.dataTarget;
    if (s === undefined || s === "drop" || s.failure) {
      this.takenBySession(piece.length);
      return;
    }
    this.totalBuffered += piece.length;
    s.push(piece);
    if (!this.paused && this.totalBuffered > this.opts.sessionWindowBytes) {
      // A peer that ignores our windows (Go's spdystream does) is held back by TCP instead.
      this.paused = true;
      this.conn.pause();
    }
  }

  private onDataEnd(): void {
    const s = this.dataTarget;
    this.dataTarget = undefined;
    if (s instanceof SpdyStreamImpl && this.dataFin && !s.failure) s.remoteFinish();
  }

  private goAwayAndEnd(status: number): void {
    if (this.dead) return;
    this.send({ type: "goaway", lastGoodStreamId: this.lastPeerStreamId, status });
    this.terminate(this.reason);
  }

  /** Ends everything: streams fail, pings and opens reject, the socket ends (and is destroyed if it lingers). */
  terminate(reason: Error | undefined): void {
    if (this.dead) return;
    this.dead = true;
    this.reason ??= reason;
    this.reader.stop();
    this.writer.close();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const err = this.reason ?? new Error("spdy session closed");
    for (const s of [...this.streams.values()]) s.fail(err);
    for (const [id, w] of this.pendingOpens) {
      this.pendingOpens.delete(id);
      w.reject(err);
    }
    for (const answer of [...this.pings.values()]) answer(err);
    this.resolveHello();
    this.changed.notify();
    if (this.paused) this.conn.resume();
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
