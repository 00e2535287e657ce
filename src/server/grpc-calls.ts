/**
 * gRPC over HTTP/2 (h2/connection.ts), for the routes of a Router (rpc.ts): unary, server-streaming and
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
import { ByteBuffer } from "./byte-buffer.ts";
import { ErrorCode } from "./h2/frames.ts";
import type { Fields, H2Stream } from "./h2/stream.ts";
import { Code, RpcError } from "./rpc-error.ts";
import { type CallContext, type Interceptor, type Route, type RpcRequest, applyInterceptors, callImplementation, decodeRequest, encodeAnswer } from "./rpc.ts";

export type StreamHandler = (stream: H2Stream) => void;

export type GrpcCallOptions = {
  interceptors: readonly Interceptor[];
  readMaxBytes: number;
  writeMaxBytes: number;
};

const GRPC_TYPES = new Set(["application/grpc", "application/grpc+proto"]);
const ENVELOPE_HEADER = 5;
const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` in milliseconds; undefined for none; a RpcError for one that does not parse. */
function parseTimeout(value: string | undefined): number | undefined | RpcError {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
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

/** A response's headers: `:status` 200, the handler's own, the content type. */
function responseHeaders(header: Headers): Fields {
  const out: [string, string][] = [[":status", "200"]];
  header.forEach((v, k) => k !== "content-type" && out.push([k, v]));
  out.push(["content-type", "application/grpc+proto"]);
  return out;
}

/** The status trailers of a call that ended with `err` (undefined: OK), after `trailer`'s own. */
function statusTrailers(trailer: Headers, err: unknown): Fields {
  const out: [string, string][] = [];
  trailer.forEach((v, k) => out.push([k, v]));
  if (err === undefined) {
    out.push(["grpc-status", "0"]);
    return out;
  }
  const e = asRpcError(err);
  e.metadata.forEach((v, k) => out.push([k, v]));
  out.push(["grpc-status", String(e.code)], ["grpc-message", percentEncode(e.rawMessage)]);
  return out;
}

/** The request's headers as handlers see them: no pseudo-headers. */
function requestHeaders(stream: H2Stream): Headers {
  const out = new Headers();
  for (const [k, v] of stream.headers) if (!k.startsWith(":")) out.set(k, v);
  return out;
}

/** A stream the answer can no longer go on: done (by us or by the client). */
const over = (stream: H2Stream) => stream.closed || stream.localEnding;

/** Writes a whole answer: headers, the reply's envelope (none for an error), trailers. */
function answer(stream: H2Stream, header: Headers, trailer: Headers, body: Uint8Array | undefined, err: unknown): void {
  if (over(stream)) return;
  try {
    stream.respond(responseHeaders(header));
    if (body) stream.write(body);
    stream.end(statusTrailers(trailer, err));
  } catch {
    // The stream went away, or call-limits dropped a reply the client was not reading:
    // reset, so the client is never left waiting for an answer that cannot come.
    stream.reset(ErrorCode.INTERNAL_ERROR);
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
 * Reads the one message of a unary (or server-streaming) request from `stream`, refusing
 * the body as soon as it shows too big or too many; `done` gets the message, or the error.
 */
async function readSingle(stream: H2Stream, parse: Parse, readMaxBytes: number, done: (err: unknown, message?: unknown) => void): Promise<void> {
  const body = new ByteBuffer();
  let first = -1;
  let second = -1;
  let settled = false;
  const finish = (err: unknown, message?: unknown) => {
    if (settled) return;
    settled = true;
    done(err, message);
  };
  const parseFirst = (bytes: Buffer) => parse(bytes[0]!, bytes.subarray(ENVELOPE_HEADER, ENVELOPE_HEADER + first));
  const onChunk = (chunk: Uint8Array) => {
    body.append(chunk);
    const total = body.length;
    try {
      if (first < 0) {
        if (total < ENVELOPE_HEADER) return;
        first = body.view().readUInt32BE(1);
        if (first > readMaxBytes) throw tooBig(first, readMaxBytes);
      }
      if (total < 2 * ENVELOPE_HEADER + first) return;
      if (second < 0) {
        const bytes = body.view();
        parseFirst(bytes);
        second = bytes.readUInt32BE(ENVELOPE_HEADER + first + 1);
        if (second > readMaxBytes) throw tooBig(second, readMaxBytes);
      }
      if (total >= 2 * ENVELOPE_HEADER + first + second) throw extra();
    } catch (err) {
      // Answered before the body ended: the rest of it is reset (NO_ERROR), not waited for.
      stream.cutRequestOnEnd = true;
      finish(err);
    }
  };
  try {
    for await (const chunk of stream.body()) {
      onChunk(chunk);
      if (settled) return;
    }
  } catch {
    // A stream the client reset before its body ended: nothing to answer, but the call ends.
    return finish(new RpcError("the client went away", Code.Canceled));
  }
  try {
    const total = body.length;
    if (total === 0) throw missing();
    if (first < 0 || total < ENVELOPE_HEADER + first) throw incomplete();
    // The first message is checked before what follows it, as connect does.
    const message = parseFirst(body.view());
    if (total > ENVELOPE_HEADER + first) throw incomplete();
    finish(undefined, message);
  } catch (err) {
    finish(err);
  }
}

/** The messages of a client-streaming request, parsed as their envelopes complete. */
async function* readStream(stream: H2Stream, parse: Parse, readMaxBytes: number): AsyncIterable<unknown> {
  const buffered = new ByteBuffer();
  for await (const chunk of stream.body()) {
    buffered.append(chunk);
    while (buffered.length >= ENVELOPE_HEADER) {
      const bytes = buffered.view();
      const length = bytes.readUInt32BE(1);
      if (length > readMaxBytes) throw tooBig(length, readMaxBytes);
      if (bytes.byteLength < ENVELOPE_HEADER + length) break;
      // A copy: the message's bytes fields are views of what it is parsed from, and the buffer is reused.
      const message = parse(bytes[0]!, Buffer.from(bytes.subarray(ENVELOPE_HEADER, ENVELOPE_HEADER + length)));
      buffered.consume(ENVELOPE_HEADER + length);
      yield message;
    }
  }
  if (buffered.length > 0) throw incomplete();
}

/** A call's context: its signal aborts when the client goes away or its deadline passes. */
function callContext(route: Route, stream: H2Stream, timeoutMs: number | undefined, arrived: number) {
  const controller = new AbortController();
  stream.onClose(() => controller.abort(new RpcError("the client went away", Code.Canceled)));
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
    requestHeader: requestHeaders(stream),
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
  };
  const end = () => {
    clearTimeout(timer);
    if (!controller.signal.aborted) controller.abort(new RpcError("the call ended", Code.Canceled));
  };
  return { ctx, end };
}

/** Sends a server stream's replies as they come, then its status. */
async function sendStream(stream: H2Stream, ctx: CallContext, messages: AsyncIterable<unknown>, encode: (m: unknown) => Uint8Array): Promise<void> {
  let headersSent = false;
  const it = messages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      if (over(stream)) return;
      const bytes = encode(next.value);
      if (!headersSent) {
        stream.respond(responseHeaders(ctx.responseHeader));
        headersSent = true;
      }
      if (!stream.write(envelope(bytes))) await stream.drained();
    }
    if (!headersSent) return answer(stream, ctx.responseHeader, ctx.responseTrailer, undefined, undefined);
    if (over(stream)) return;
    stream.end(statusTrailers(ctx.responseTrailer, undefined));
  } catch (err) {
    void it.return?.();
    if (!headersSent) return answer(stream, ctx.responseHeader, ctx.responseTrailer, undefined, err);
    if (over(stream)) return;
    try {
      stream.end(statusTrailers(ctx.responseTrailer, err));
    } catch {
      stream.reset(ErrorCode.INTERNAL_ERROR);
    }
  }
}

/** The handler of HTTP/2 request streams for `routes`. */
export function grpcCalls(routes: ReadonlyMap<string, Route>, opts: GrpcCallOptions): StreamHandler {
  // Each route with its interceptors applied, once.
  const invokers = new Map([...routes.values()].map((route) => [route, applyInterceptors(callImplementation(route), opts.interceptors)]));
  return (stream) => {
    const arrived = stream.arrived;
    const header = (name: string) => stream.headers.get(name);
    if (header(":method") !== "POST") return stream.respond([[":status", "405"], ["allow", "POST"]], true);
    if (!GRPC_TYPES.has(header("content-type") ?? "")) return stream.respond([[":status", "415"]], true);
    const none = new Headers();
    const path = header(":path")!;
    const route = routes.get(path);
    if (!route) return answer(stream, none, none, undefined, new RpcError(`${path} is not a method skiff serves`, Code.Unimplemented));
    const encodingHeader = header("grpc-encoding") ?? "identity";
    if (encodingHeader !== "identity" && encodingHeader !== "gzip") {
      return answer(stream, none, none, undefined, new RpcError(`unknown compression "${encodingHeader}": supported encodings are gzip, identity`, Code.Unimplemented));
    }
    const timeoutMs = parseTimeout(header("grpc-timeout"));
    if (timeoutMs instanceof RpcError) return answer(stream, none, none, undefined, timeoutMs);
    const parse = parser(route, encodingHeader, opts.readMaxBytes);
    const { ctx, end } = callContext(route, stream, timeoutMs, arrived);
    // The call keeps its stream's slot until its handler is done, even if the client resets it.
    stream.hold();
    const done = () => {
      end();
      stream.release();
    };
    // An answer's bytes; one over writeMaxBytes is RESOURCE_EXHAUSTED, as connect has it.
    const encode = (m: unknown) => {
      const bytes = encodeAnswer(route.method, m);
      if (bytes.byteLength > opts.writeMaxBytes) throw new RpcError(`message size ${bytes.byteLength} is larger than configured writeMaxBytes ${opts.writeMaxBytes}`, Code.ResourceExhausted);
      return bytes;
    };
    const run = async (message: unknown, streaming: boolean) => {
      const request: RpcRequest = { method: route.method, stream: streaming, message, ctx };
      try {
        const out = await invokers.get(route)!(request);
        if (out.stream) return await sendStream(stream, ctx, out.message, encode);
        answer(stream, ctx.responseHeader, ctx.responseTrailer, envelope(encode(out.message)), undefined);
      } catch (err) {
        answer(stream, ctx.responseHeader, ctx.responseTrailer, undefined, err);
      } finally {
        done();
      }
    };
    if (route.method.kind === "client_streaming" || route.method.kind === "bidi_streaming") {
      void run(readStream(stream, parse, opts.readMaxBytes), true);
      return;
    }
    void readSingle(stream, parse, opts.readMaxBytes, (err, message) => {
      if (err !== undefined) {
        done();
        return answer(stream, ctx.responseHeader, ctx.responseTrailer, undefined, err);
      }
      void run(message, false);
    });
  };
}
