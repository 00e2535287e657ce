/**
 * Test plumbing for the SPDY unit tests: two sessions joined over loopback TCP, and a
 * raw peer that writes hand-made bytes to a session and decodes what comes back.
 */
import * as net from "node:net";
import { FrameReader } from "../../../../src/streaming/spdy/frame-reader.ts";
import { type ControlFrame, decodeControlFrame, encodeFrame, type Frame } from "../../../../src/streaming/spdy/frames.ts";
import { HeaderCompressor, HeaderDecompressor } from "../../../../src/streaming/spdy/header-zlib.ts";
import { type SpdySession, type SpdySessionOptions, type SpdyStream, createSpdySession } from "../../../../src/streaming/spdy/index.ts";

/** A connected pair of TCP sockets on 127.0.0.1. */
export async function socketPair(): Promise<{ a: net.Socket; b: net.Socket; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const a = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await new Promise<void>((resolve) => a.once("connect", resolve));
  const b = await accepted;
  server.close();
  return { a, b, close: () => (a.destroy(), b.destroy()) };
}

export type SessionPair = { client: SpdySession; server: SpdySession; close(): void };

export async function sessionPair(clientOpts: SpdySessionOptions = {}, serverOpts: SpdySessionOptions = {}): Promise<SessionPair> {
  const { a, b, close } = await socketPair();
  return { client: createSpdySession(a, "client", clientOpts), server: createSpdySession(b, "server", serverOpts), close };
}

/** Everything a readable gives until it ends, and the error if it errored instead. */
export async function drain(s: SpdyStream): Promise<{ bytes: Buffer; error?: Error }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const c of s.readable) parts.push(c);
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error: error as Error };
  }
}

/** Resolves when `check` holds, polling; throws after `ms`. */
export async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

export type ReceivedFrame = ControlFrame | { type: "data"; streamId: number; fin: boolean; data: Buffer };

/**
 * The far end of a session, driven by hand: `send` writes frames (encoded here, with
 * this peer's own header compressor) or raw bytes; `frames` collects what the session
 * sent, decoded; `ended` settles when the session closed the socket.
 */
export class RawPeer {
  readonly frames: ReceivedFrame[] = [];
  readonly ended: Promise<void>;
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor(1 << 20);
  private data: { streamId: number; fin: boolean; parts: Uint8Array[] } | undefined;

  constructor(readonly socket: net.Socket) {
    const reader = new FrameReader(
      {
        control: (type, flags, payload) => {
          const f = decodeControlFrame(type, flags, payload, this.decompressor);
          if (f.type !== "unknown") this.frames.push(f);
        },
        dataStart: (streamId, _length, fin) => (this.data = { streamId, fin, parts: [] }),
        dataPiece: (piece) => this.data?.parts.push(piece.slice()),
        dataEnd: () => {
          const d = this.data;
          if (d) this.frames.push({ type: "data", streamId: d.streamId, fin: d.fin, data: Buffer.concat(d.parts) });
        },
      },
      1 << 24,
    );
    socket.on("data", (chunk: Uint8Array) => reader.push(chunk));
    socket.on("error", () => {});
    this.ended = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  send(...frames: (Frame | Uint8Array)[]): void {
    for (const f of frames) this.socket.write(f instanceof Uint8Array ? f : encodeFrame(f, this.compressor));
  }

  of<T extends ReceivedFrame["type"]>(type: T): Extract<ReceivedFrame, { type: T }>[] {
    return this.frames.filter((f) => f.type === type) as Extract<ReceivedFrame, { type: T }>[];
  }

  async waitFor<T extends ReceivedFrame["type"]>(type: T, match: (f: Extract<ReceivedFrame, { type: T }>) => boolean = () => true, ms = 5000) {
    await until(`a ${type} frame`, () => this.of(type).some(match), ms);
    return this.of(type).find(match) as Extract<ReceivedFrame, { type: T }>;
  }
}

/** A session of `role` on one end of a socket pair, a RawPeer on the other. */
export async function rawPeer(role: "client" | "server", opts: SpdySessionOptions = {}): Promise<{ session: SpdySession; peer: RawPeer; close(): void }> {
  const { a, b, close } = await socketPair();
  return { session: createSpdySession(a, role, opts), peer: new RawPeer(b), close };
}
