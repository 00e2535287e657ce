/**
 * A deliberately rude HTTP/2 client for hostile-client tests: it writes frames by hand
 * (RFC 9113 §4.1 frame layout, RFC 7541 literal header fields without Huffman), so it
 * can do what a well-behaved client library refuses to: ignore the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS, never open its flow-control window, promise bodies it
 * never sends. It reads back only frame types, stream ids and error codes (it does not
 * decode the server's HPACK), which is what those tests assert on.
 */
import * as http2 from "node:http2";
import * as net from "node:net";

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
/** SETTINGS ids. */
export const SETTING = { MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4 } as const;

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(9 + payload.length);
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(streamId & 0x7fffffff, 5);
  b.set(payload, 9);
  return b;
}

/** An HPACK integer with an `n`-bit prefix whose high bits are `high` (RFC 7541 §5.1). */
function hpackInt(v: number, n: number, high: number): number[] {
  const max = (1 << n) - 1;
  if (v < max) return [high | v];
  const out = [high | max];
  v -= max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Header fields as "literal without indexing, new name", plain strings (RFC 7541 §6.2.2). */
export function hpack(headers: [string, string][]): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    const n = Buffer.from(name);
    const v = Buffer.from(value);
    out.push(0x00, ...hpackInt(n.length, 7, 0), ...n, ...hpackInt(v.length, 7, 0), ...v);
  }
  return Buffer.from(out);
}

/** The request headers of a gRPC call to `path` (authority localhost, as the kubelet sends). */
export function grpcHeaders(path: string): Buffer {
  return hpack([
    [":method", "POST"],
    [":scheme", "http"],
    [":authority", "localhost"],
    [":path", path],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ]);
}

/** One gRPC length-prefixed message; `flags` 1 marks it compressed. */
export function grpcMessage(payload: Uint8Array, declaredLength = payload.length, flags = 0): Buffer {
  const b = Buffer.alloc(5 + payload.length);
  b[0] = flags;
  b.writeUInt32BE(declaredLength >>> 0, 1);
  b.set(payload, 5);
  return b;
}

export type RawH2 = {
  sock: net.Socket;
  send(bytes: Uint8Array): void;
  /** Frames of each type received so far, by stream id. */
  framesOf(type: number): Map<number, number>;
  /** RST_STREAM error codes the server sent, by stream id. */
  resets: Map<number, number>;
  /** Error code of a GOAWAY, if one came. */
  goaway?: number;
  /** Bytes of DATA received on each stream. */
  dataBytes: Map<number, number>;
  /** Streams the server ended (END_STREAM on HEADERS or DATA). */
  ended: Set<number>;
  closed: Promise<void>;
  close(): void;
};

/**
 * Connects to a unix socket, sends the preface and `settings` (id → value), acks the
 * server's SETTINGS and answers PINGs (as any client must), and records what comes back.
 * It never sends WINDOW_UPDATE unless told to, so the server can send at most the initial
 * window (65,535 bytes per stream and per connection unless `settings` says otherwise).
 */
export function rawH2(socketPath: string, settings: [number, number][] = []): Promise<RawH2> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let buf = Buffer.alloc(0);
    const counts = new Map<number, Map<number, number>>();
    let closedResolve = () => {};
    // What is sent in one tick goes out as one write. Thousands of small writes in a row
    // through Bun's net.Socket to its own HTTP/2 server sometimes stall the connection
    // (the client stops at ~60 KB written, nothing queued, nothing read; one write of the
    // same bytes never does), which made a test of the server flaky.
    let pending: Uint8Array[] = [];
    const flush = () => {
      const bytes = Buffer.concat(pending);
      pending = [];
      if (!sock.destroyed) sock.write(bytes);
    };
    const c: RawH2 = {
      sock,
      send: (b) => {
        if (pending.push(b) === 1) queueMicrotask(flush);
      },
      framesOf: (t) => counts.get(t) ?? new Map(),
      resets: new Map(),
      dataBytes: new Map(),
      ended: new Set(),
      closed: new Promise<void>((r) => (closedResolve = r)),
      close: () => sock.destroy(),
    };
    const onFrame = (type: number, flags: number, stream: number, payload: Buffer) => {
      const m = counts.get(type) ?? new Map<number, number>();
      m.set(stream, (m.get(stream) ?? 0) + 1);
      counts.set(type, m);
      if (type === FRAME.SETTINGS && !(flags & FLAG.ACK)) c.send(frame(FRAME.SETTINGS, FLAG.ACK, 0));
      if (type === FRAME.PING && !(flags & FLAG.ACK)) c.send(frame(FRAME.PING, FLAG.ACK, 0, payload));
      if (type === FRAME.RST_STREAM) c.resets.set(stream, payload.readUInt32BE(0));
      if (type === FRAME.GOAWAY) c.goaway = payload.readUInt32BE(4);
      if (type === FRAME.DATA) c.dataBytes.set(stream, (c.dataBytes.get(stream) ?? 0) + payload.length);
      if ((type === FRAME.DATA || type === FRAME.HEADERS) && flags & FLAG.END_STREAM) c.ended.add(stream);
    };
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        onFrame(buf[3]!, buf[4]!, buf.readUInt32BE(5) & 0x7fffffff, buf.subarray(9, 9 + len));
        buf = buf.subarray(9 + len);
      }
    });
    sock.on("error", () => {});
    sock.on("close", () => closedResolve());
    sock.once("error", reject);
    sock.on("connect", () => {
      const body = Buffer.alloc(6 * settings.length);
      settings.forEach(([id, v], i) => {
        body.writeUInt16BE(id, i * 6);
        body.writeUInt32BE(v, i * 6 + 2);
      });
      sock.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, body)]));
      resolve(c);
    });
  });
}

export type H2Answer = {
  status?: number;
  grpcStatus?: string;
  grpcMessage?: string;
  rstCode?: number;
  /** Every other header and trailer but `date`, as received. */
  others: Record<string, string>;
  /** The response body, in hex. */
  data: string;
};

/**
 * One gRPC call through node:http2 with a hand-made body (sent in the chunks given), on
 * a session of its own (or `session`): what the server answered, headers and trailers
 * decoded. `end: false` leaves the request body open (the server waits for the rest);
 * `headers` are added to (or replace) the gRPC request headers.
 */
export function h2Call(
  socketPath: string,
  path: string,
  body: Uint8Array | Uint8Array[],
  opts: { session?: http2.ClientHttp2Session; end?: boolean; headers?: Record<string, string> } = {},
): { answer: Promise<H2Answer>; cancel(): void } {
  const session = opts.session ?? http2.connect("http://localhost", { createConnection: () => net.connect(socketPath) });
  session.on("error", () => {});
  const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...opts.headers });
  const out: H2Answer = { others: {}, data: "" };
  const data: Buffer[] = [];
  const answer = new Promise<H2Answer>((resolve) => {
    const take = (h: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(h)) {
        if (k === ":status") out.status = Number(v);
        else if (k === "grpc-status") out.grpcStatus = String(v);
        else if (k === "grpc-message") out.grpcMessage = decodeURIComponent(String(v));
        else if (k !== "date") out.others[k] = String(v);
      }
    };
    req.on("response", take);
    req.on("trailers", take);
    req.on("data", (c: Buffer) => data.push(c));
    req.on("error", () => {});
    req.on("close", () => {
      out.rstCode = req.rstCode;
      out.data = Buffer.concat(data).toString("hex");
      if (!opts.session) session.close();
      resolve(out);
    });
  });
  const chunks = Array.isArray(body) ? body : [body];
  for (const c of chunks.slice(0, -1)) req.write(c);
  if (opts.end === false) req.write(chunks.at(-1) ?? new Uint8Array(0));
  else req.end(chunks.at(-1));
  return { answer, cancel: () => req.close() };
}
