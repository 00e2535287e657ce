/**
 * gRPC over node:http2, for the routes of a Router (rpc.ts): unary, server-streaming and
 * client-streaming calls, protobuf bodies, identity or gzip request compression. It
 * answers as connect's gRPC handler does (test/unit/server/grpc-calls.test.ts holds the
 * two side by side), so the kubelet, crictl and grpc-js see no difference:
 *
 * - `:status` 200 and `content-type: application/grpc+proto`, each reply in an envelope,
 *   then trailers with `grpc-status` and `grpc-message` (percent-encoded) and an error's
 *   metadata; an error before any reply sends headers and trailers, no data;
 * - a unary body's errors come in connect's order, with its codes and messages: a message
 *   announced over `readMaxBytes` is RESOURCE_EXHAUSTED as soon as its envelope header
 *   arrives; then the first message is checked (a compressed one without a known
 *   `grpc-encoding`, bytes that do not parse: INTERNAL); then what follows it (a whole
 *   second message: UNIMPLEMENTED; part of one: INVALID_ARGUMENT); no message at all is
 *   UNIMPLEMENTED;
 * - the handler's deadline (`grpc-timeout`) counts from when the request's headers came;
 * - answers are never compressed: gRPC lets a server answer uncompressed whatever the
 *   client accepts, and on a local socket compressing costs CPU and saves nothing;
 * - error details (`grpc-status-details-bin`) are not sent: skiff's errors carry none.
 *
 * Calls run under `limitCalls` (call-limits.ts), which bounds them before they get here.
 */
import * as http2 from "node:http2";
import { drained } from "../drained.ts";
import { Code, RpcError } from "./rpc-error.ts";
import { type CallContext, type Interceptor, type Route, type RpcRequest, applyInterceptors, callImplementation, decodeRequest, encodeAnswer } from "./rpc.ts";

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

export type GrpcCallOptions = {
  interceptors: readonly Interceptor[];
  readMaxBytes: number;
  writeMaxBytes: number;
};

const GRPC_TYPES = new Set(["application/grpc", "application/grpc+proto"]);
const ENVELOPE_HEADER = 5;
const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` in milliseconds; undefined for none; a RpcError for one that does not parse. */
function parseTimeout(value: string | string[] | undefined): number | undefined | RpcError {
  if (value === undefined) return undefined;
  const m = typeof value === "string" ? /^(\d{1,8})([HMSmun])$/.exec(value) : null;
  if (!m) return new RpcError(`protocol error: invalid grpc timeout value: ${value}`, Code.InvalidArgument);
  return TIMEOUT_UNITS[m[2]!]! * Number.parseInt(m[1]!, 10);
}

/** gRPC's percent-encoding of `grpc-message`: printable ASCII but '%' as is, every other UTF-8 byte as %XX. */
export function percentEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text.toWellFormed(), "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Anything a call threw as an RpcError (an unknown error is INTERNAL). */
function asRpcError(err: unknown): RpcError {
  return RpcError.is(err) ? RpcError.from(err) : new RpcError("internal error", Code.Internal, undefined, err);
}

/** Headers as node:http2 takes them. */
function plain(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k] = v));
  return out;
}

/** The status trailers of a call that ended with `err` (undefined: OK), after `trailer`'s own. */
function statusTrailers(trailer: Headers, err: unknown): Record<string, string> {
  const out = plain(trailer);
  if (err === undefined) {
    out["grpc-status"] = "0";
    return out;
  }
  const e = asRpcError(err);
  e.metadata.forEach((v, k) => (out[k] = v));
  out["grpc-status"] = String(e.code);
  out["grpc-message"] = percentEncode(e.rawMessage);
  return out;
}

/** The request's headers as handlers see them: no pseudo-headers, lists joined. */
function requestHeaders(req: http2.Http2ServerRequest): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith(":") || v === undefined) continue;
    out.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  return out;
}

/** Resets the stream, so the client is never left waiting for an answer that cannot be written. */
function reset(res: http2.Http2ServerResponse): void {
  try {
    if (!res.stream.closed) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  } catch {
    // already gone
  }
}

/** Writes a whole answer: headers, the reply's envelope (none for an error), trailers. */
function answer(res: http2.Http2ServerResponse, header: Headers, trailer: Headers, body: Uint8Array | undefined, err: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  try {
    res.writeHead(200, { ...plain(header), "content-type": "application/grpc+proto" });
    // Trailers only after the body went: a stream call-limits reset while trailers were
    // set would send them (a clean end) instead of the reset.
    if (body) res.write(body);
    res.addTrailers(statusTrailers(trailer, err));
    res.end();
  } catch {
    // The stream went away, or call-limits dropped a reply the client was not reading.
    reset(res);
  }
}

/** `bytes` in a gRPC envelope (flags 0: not compressed). */
function envelope(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER + bytes.byteLength);
  out[0] = 0;
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, ENVELOPE_HEADER);
  return out;
}

const tooBig = (length: number, max: number) => new RpcError(`message size ${length} is larger than configured readMaxBytes ${max}`, Code.ResourceExhausted);
const incomplete = () => new RpcError("protocol error: incomplete envelope", Code.InvalidArgument);
const extra = () => new RpcError("protocol error: received extra input message for unary method", Code.Unimplemented);
const missing = () => new RpcError("protocol error: missing input message for unary method", Code.Unimplemented);

/** How a request's message bytes become a message: decompressed if the envelope says so, then decoded. */
type Parse = (flags: number, bytes: Uint8Array) => unknown;

function parser(route: Route, encoding: "identity" | "gzip", readMaxBytes: number): Parse {
  return (flags, bytes) => {
    let raw = bytes;
    if ((flags & 0x01) !== 0) {
      if (encoding !== "gzip") throw new RpcError("received compressed envelope, but do not know how to decompress", Code.Internal);
      const { gunzipSync } = require("node:zlib") as typeof import("node:zlib");
      try {
        raw = gunzipSync(bytes, { maxOutputLength: readMaxBytes });
      } catch (err) {
        throw new RpcError(`failed to decompress message: ${(err as Error).message}`, Code.ResourceExhausted);
      }
    }
    try {
      return decodeRequest(route.method, raw);
    } catch (err) {
      throw new RpcError(`parse binary: ${(err as Error).message}`, Code.Internal);
    }
  };
}

/**
 * Reads the one message of a unary (or server-streaming) request from `req`, refusing the
 * body as soon as it shows too big or too many; `done` gets the message, or the error.
 */
function readSingle(req: http2.Http2ServerRequest, parse: Parse, readMaxBytes: number, done: (err: unknown, message?: unknown) => void): void {
  const chunks: Buffer[] = [];
  let total = 0;
  let first = -1;
  let second = -1;
  let settled = false;
  const finish = (err: unknown, message?: unknown) => {
    if (settled) return;
    settled = true;
    chunks.length = 0;
    done(err, message);
  };
  const join = () => {
    if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks, total));
    return chunks[0]!;
  };
  const parseFirst = (body: Buffer) => parse(body[0]!, body.subarray(ENVELOPE_HEADER, ENVELOPE_HEADER + first));
  req.on("data", (chunk: Buffer) => {
    if (settled) return;
    chunks.push(chunk);
    total += chunk.byteLength;
    try {
      if (first < 0) {
        if (total < ENVELOPE_HEADER) return;
        first = join().readUInt32BE(1);
        if (first > readMaxBytes) throw tooBig(first, readMaxBytes);
      }
      if (total < 2 * ENVELOPE_HEADER + first) return;
      if (second < 0) {
        const body = join();
        parseFirst(body);
        second = body.readUInt32BE(ENVELOPE_HEADER + first + 1);
        if (second > readMaxBytes) throw tooBig(second, readMaxBytes);
      }
      if (total >= 2 * ENVELOPE_HEADER + first + second) throw extra();
    } catch (err) {
      finish(err);
      // Like an HTTP/2 server that answered before the body ended: no more of it, please.
      if (!req.stream.closed) req.stream.close();
    }
  });
  // A stream the client reset before its body ended: nothing to answer, but the call ends.
  req.once("close", () => finish(new RpcError("the client went away", Code.Canceled)));
  req.once("end", () => {
    if (settled) return;
    try {
      if (total === 0) throw missing();
      if (first < 0 || total < ENVELOPE_HEADER + first) throw incomplete();
      // The first message is checked before what follows it, as connect does.
      const message = parseFirst(join());
      if (total > ENVELOPE_HEADER + first) throw incomplete();
      finish(undefined, message);
    } catch (err) {
      finish(err);
    }
  });
}

/** The messages of a client-streaming request, parsed as their envelopes complete. */
async function* readStream(req: http2.Http2ServerRequest, parse: Parse, readMaxBytes: number): AsyncIterable<unknown> {
  let buffered: Buffer = Buffer.alloc(0);
  for await (const chunk of req as AsyncIterable<Buffer>) {
    buffered = buffered.byteLength === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.byteLength >= ENVELOPE_HEADER) {
      const length = buffered.readUInt32BE(1);
      if (length > readMaxBytes) throw tooBig(length, readMaxBytes);
      if (buffered.byteLength < ENVELOPE_HEADER + length) break;
      const message = parse(buffered[0]!, buffered.subarray(ENVELOPE_HEADER, ENVELOPE_HEADER + length));
      buffered = buffered.subarray(ENVELOPE_HEADER + length);
      yield message;
    }
  }
  if (buffered.byteLength > 0) throw incomplete();
}

/** A call's context: its signal aborts when the client goes away or its deadline passes. */
function callContext(route: Route, req: http2.Http2ServerRequest, timeoutMs: number | undefined, arrived: number) {
  const controller = new AbortController();
  const onClose = () => controller.abort(new RpcError("the client went away", Code.Canceled));
  req.once("close", onClose);
  let timer: Timer | undefined;
  if (timeoutMs !== undefined) {
    const left = timeoutMs - (Date.now() - arrived);
    timer = setTimeout(() => controller.abort(new RpcError("the operation timed out", Code.DeadlineExceeded)), Math.max(0, left));
  }
  const deadline = timeoutMs === undefined ? undefined : arrived + timeoutMs;
  const ctx: CallContext = {
    signal: controller.signal,
    timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
    method: route.method,
    requestHeader: requestHeaders(req),
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
  };
  const end = () => {
    clearTimeout(timer);
    req.off("close", onClose);
    if (!controller.signal.aborted) controller.abort(new RpcError("the call ended", Code.Canceled));
  };
  return { ctx, end };
}

/** Sends a server stream's replies as they come, then its status. */
async function sendStream(res: http2.Http2ServerResponse, ctx: CallContext, messages: AsyncIterable<unknown>, encode: (m: unknown) => Uint8Array): Promise<void> {
  let headersSent = false;
  const it = messages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      if (res.writableEnded || res.destroyed) return;
      const bytes = encode(next.value);
      if (!headersSent) {
        res.writeHead(200, { ...plain(ctx.responseHeader), "content-type": "application/grpc+proto" });
        headersSent = true;
      }
      if (!res.write(envelope(bytes))) await drained(res);
    }
    if (!headersSent) return answer(res, ctx.responseHeader, ctx.responseTrailer, undefined, undefined);
    if (res.writableEnded || res.destroyed) return;
    res.addTrailers(statusTrailers(ctx.responseTrailer, undefined));
    res.end();
  } catch (err) {
    void it.return?.();
    if (!headersSent) return answer(res, ctx.responseHeader, ctx.responseTrailer, undefined, err);
    if (res.writableEnded || res.destroyed) return;
    try {
      res.addTrailers(statusTrailers(ctx.responseTrailer, err));
      res.end();
    } catch {
      reset(res);
    }
  }
}

/** The HTTP/2 request handler for `routes`. */
export function grpcCalls(routes: ReadonlyMap<string, Route>, opts: GrpcCallOptions): Handler {
  // Each route with its interceptors applied, once.
  const invokers = new Map([...routes.values()].map((route) => [route, applyInterceptors(callImplementation(route), opts.interceptors)]));
  return (req, res) => {
    const arrived = Date.now();
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    if (!GRPC_TYPES.has(req.headers["content-type"] ?? "")) {
      res.writeHead(415).end();
      return;
    }
    const none = new Headers();
    const route = routes.get(req.url);
    if (!route) return answer(res, none, none, undefined, new RpcError(`${req.url} is not a method skiff serves`, Code.Unimplemented));
    const encodingHeader = req.headers["grpc-encoding"] ?? "identity";
    if (encodingHeader !== "identity" && encodingHeader !== "gzip") {
      return answer(res, none, none, undefined, new RpcError(`unknown compression "${encodingHeader}": supported encodings are gzip, identity`, Code.Unimplemented));
    }
    const timeoutMs = parseTimeout(req.headers["grpc-timeout"]);
    if (timeoutMs instanceof RpcError) return answer(res, none, none, undefined, timeoutMs);
    const parse = parser(route, encodingHeader, opts.readMaxBytes);
    const { ctx, end } = callContext(route, req, timeoutMs, arrived);
    // An answer's bytes; one over writeMaxBytes is RESOURCE_EXHAUSTED, as connect has it.
    const encode = (m: unknown) => {
      const bytes = encodeAnswer(route.method, m);
      if (bytes.byteLength > opts.writeMaxBytes) throw new RpcError(`message size ${bytes.byteLength} is larger than configured writeMaxBytes ${opts.writeMaxBytes}`, Code.ResourceExhausted);
      return bytes;
    };
    const run = async (message: unknown, stream: boolean) => {
      const request: RpcRequest = { method: route.method, stream, message, ctx };
      try {
        const out = await invokers.get(route)!(request);
        if (out.stream) return await sendStream(res, ctx, out.message, encode);
        answer(res, ctx.responseHeader, ctx.responseTrailer, envelope(encode(out.message)), undefined);
      } catch (err) {
        answer(res, ctx.responseHeader, ctx.responseTrailer, undefined, err);
      } finally {
        end();
      }
    };
    if (route.method.kind === "client_streaming" || route.method.kind === "bidi_streaming") {
      void run(readStream(req, parse, opts.readMaxBytes), true);
      return;
    }
    readSingle(req, parse, opts.readMaxBytes, (err, message) => {
      if (err !== undefined) {
        end();
        return answer(res, ctx.responseHeader, ctx.responseTrailer, undefined, err);
      }
      void run(message, false);
    });
  };
}
