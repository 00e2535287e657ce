/**
 * A WebSocket connection over an upgraded socket, either side (RFC 6455). Messages come
 * in whole (fragments joined, bounded by `maxMessageBytes`); pings are answered at once;
 * a protocol violation closes the connection with its close code. Both directions are
 * flow-controlled: `send` resolves once the socket took the frame (after a `drain` when
 * its buffer is full), and while the message handler is busy the socket stops reading once
 * `PAUSE_BYTES` wait, so a peer can make skiff hold only a bounded amount in memory.
 */
import type { Duplex } from "node:stream";
import { CLOSE, type Frame, FrameParser, OPCODE, WsProtocolError, encodeFrame } from "./ws-frame.ts";

export type WsMessage = { binary: boolean; data: Buffer };
export type WsCloseInfo = { code: number; reason: string; error?: Error };
export type WsMessageHandler = (m: WsMessage) => void | Promise<void>;

export type WsConnectionOptions = {
  role: "server" | "client";
  /** The negotiated subprotocol ("" for none). */
  protocol: string;
  /** Largest message (after joining fragments) accepted from the peer. Default 4 MiB. */
  maxMessageBytes?: number;
  /** Bytes that arrived right after the handshake. */
  head?: Buffer;
};

/** Incoming bytes held for a busy handler before the socket is paused. */
const PAUSE_BYTES = 1 << 20;
/** How long to wait for the peer's close frame before dropping the socket. */
const CLOSE_WAIT_MS = 2000;

export class WsConnection {
  readonly protocol: string;
  readonly closed: Promise<WsCloseInfo>;
  readonly #socket: Duplex;
  readonly #mask: boolean;
  readonly #parser: FrameParser;
  readonly #maxMessage: number;
  readonly #queue: WsMessage[] = [];
  #queued = 0;
  #pumping = false;
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #fragmentOpcode = 0;
  #handler: WsMessageHandler | undefined;
  #sentClose = false;
  #gotClose = false;
  #info: WsCloseInfo = { code: CLOSE.goingAway, reason: "connection lost" };
  #resolveClosed!: (i: WsCloseInfo) => void;
  #drainWaiters: (() => void)[] = [];

  constructor(socket: Duplex, opts: WsConnectionOptions) {
    this.#socket = socket;
    this.protocol = opts.protocol;
    this.#mask = opts.role === "client";
    this.#maxMessage = opts.maxMessageBytes ?? 4 << 20;
    this.#parser = new FrameParser({ expectMasked: opts.role === "server", maxPayload: this.#maxMessage });
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.on("drain", () => this.#wakeWriters());
    socket.on("error", (err: Error) => {
      this.#info = { code: CLOSE.goingAway, reason: "socket error", error: err };
    });
    socket.on("close", () => {
      this.#wakeWriters();
      this.#queue.length = 0;
      this.#resolveClosed(this.#info);
    });
    socket.on("end", () => socket.end());
    if (opts.head && opts.head.length > 0) this.#onData(opts.head);
  }

  /** Starts delivering messages to `handler`; a returned promise holds the next one back. */
  start(handler: WsMessageHandler): void {
    this.#handler = handler;
    this.#socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    this.#socket.resume();
    this.#pump();
  }

  get isOpen(): boolean {
    return !this.#sentClose && !this.#socket.destroyed;
  }

  /** Sends one message; resolves when the socket took it. Rejects once the connection is closing. */
  async send(data: Uint8Array | string, binary = true): Promise<void> {
    if (!this.isOpen) throw new Error("websocket connection is closed");
    const payload = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const ok = this.#socket.write(encodeFrame(binary ? OPCODE.binary : OPCODE.text, payload, this.#mask));
    if (!ok) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    if (this.#socket.destroyed) throw new Error("websocket connection is closed");
  }

  /** Starts the closing handshake; the socket goes when the peer answers, or after a wait. */
  close(code: number = CLOSE.normal, reason = ""): void {
    if (this.#sentClose || this.#socket.destroyed) return;
    this.#sentClose = true;
    if (!this.#gotClose) this.#info = { code, reason };
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.#socket.write(encodeFrame(OPCODE.close, body.subarray(0, 125), this.#mask));
    if (this.#gotClose) this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), CLOSE_WAIT_MS);
    this.#socket.once("close", () => clearTimeout(timer));
  }

  /** Fails the connection (RFC 6455 section 7.1.7): the close frame, then the socket ends without waiting for an answer. */
  fail(code: number, reason: string): void {
    this.close(code, reason);
    this.#socket.end();
  }

  /** Drops the connection at once. */
  destroy(error?: Error): void {
    if (error) this.#info = { code: CLOSE.internalError, reason: error.message, error };
    this.#socket.destroy();
  }

  #wakeWriters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  #onData(chunk: Buffer): void {
    if (this.#gotClose) return;
    let frames: Frame[];
    try {
      frames = this.#parser.push(chunk);
      for (const f of frames) this.#onFrame(f);
    } catch (err) {
      const code = err instanceof WsProtocolError ? err.code : CLOSE.protocolError;
      this.#info = { code, reason: (err as Error).message, error: err as Error };
      this.fail(code, (err as Error).message.slice(0, 100));
      return;
    }
    if (this.#queued > PAUSE_BYTES) this.#socket.pause();
    this.#pump();
  }

  #onFrame(f: Frame): void {
    switch (f.opcode) {
      case OPCODE.ping:
        if (!this.#sentClose) this.#socket.write(encodeFrame(OPCODE.pong, f.payload, this.#mask));
        return;
      case OPCODE.pong:
        return;
      case OPCODE.close: {
        this.#gotClose = true;
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : CLOSE.normal;
        if (!this.#sentClose) this.#info = { code, reason: f.payload.subarray(2).toString("utf8") };
        if (this.#sentClose) this.#socket.end();
        else this.close(code === 1005 ? CLOSE.normal : code);
        return;
      }
      case OPCODE.continuation:
        if (this.#fragmentOpcode === 0) throw new WsProtocolError(CLOSE.protocolError, "continuation frame without a message to continue");
        break;
      default:
        if (this.#fragmentOpcode !== 0) throw new WsProtocolError(CLOSE.protocolError, "new message before the fragmented one ended");
        this.#fragmentOpcode = f.opcode;
    }
    this.#fragmentBytes += f.payload.length;
    if (this.#fragmentBytes > this.#maxMessage) throw new WsProtocolError(CLOSE.tooBig, `message over the limit of ${this.#maxMessage} bytes`);
    this.#fragments.push(f.payload);
    if (!f.fin) return;
    const data = this.#fragments.length === 1 ? this.#fragments[0]! : Buffer.concat(this.#fragments);
    this.#queue.push({ binary: this.#fragmentOpcode === OPCODE.binary, data });
    this.#queued += data.length;
    this.#fragments = [];
    this.#fragmentBytes = 0;
    this.#fragmentOpcode = 0;
  }

  async #pump(): Promise<void> {
    // Messages that came with the handshake wait for start().
    if (this.#pumping || !this.#handler) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const m = this.#queue.shift()!;
        this.#queued -= m.data.length;
        try {
          await this.#handler!(m);
        } catch (err) {
          this.destroy(err instanceof Error ? err : new Error(String(err)));
          return;
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (!this.#socket.destroyed && this.#queued <= PAUSE_BYTES) this.#socket.resume();
  }
}
