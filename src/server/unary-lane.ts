/**
 * A short way through for the common gRPC call: unary, protobuf, uncompressed. connect
 * runs every call through a chain of async iterables (split envelopes, parse, invoke,
 * serialize, join), which cost skiff about 0.2 ms of CPU per call on this project's
 * 2-core machine, two thirds of what a `Version` costs the daemon in all. The lane reads
 * the one message, runs the same interceptors and the same handler connect would, and
 * writes the answer in three frames. Anything else (streaming methods, other content
 * types, compressed or JSON bodies, a malformed `grpc-timeout`, unknown paths) goes to
 * connect untouched, so connect stays the reference for what the lane does:
 *
 * - the answer is `:status` 200 and `content-type: application/grpc+proto`, the reply in
 *   one envelope, then trailers with `grpc-status` (and `grpc-message`, percent-encoded);
 *   an error sends the same headers and no data;
 * - the request's codes and messages are connect's: a message announced over
 *   `readMaxBytes` is RESOURCE_EXHAUSTED as soon as its envelope header arrives, a reply
 *   over `writeMaxBytes` too; no message or an extra one is UNIMPLEMENTED, a cut one
 *   INVALID_ARGUMENT, a compressed one without `grpc-encoding` and bytes that do not parse
 *   INTERNAL;
 * - the handler gets a context from connect's `createHandlerContext`, whose signal fires
 *   at the `grpc-timeout` deadline or when the client goes away;
 * - one difference: the lane never compresses an answer, where connect gzips one over
 *   1 KiB for a client that accepts gzip (grpc-js says it does by default). gRPC lets a
 *   server answer uncompressed whatever the client accepts, and on a local socket
 *   compressing costs CPU and saves nothing.
 *
 * The lane sits under `limitCalls` (call-limits.ts), which sees and bounds its calls as
 * it does connect's.
 */
import type * as http2 from "node:http2";
import { type DescMessage, type DescMethod, type DescService, create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
  createContextValues,
  createHandlerContext,
  createServiceImplSpec,
} from "@connectrpc/connect";

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** A unary method and the function connect would call for it. */
type UnaryRoute = {
  service: DescService;
  method: DescMethod & { methodKind: "unary" };
  impl: (req: unknown, ctx: HandlerContext) => unknown;
};

export type UnaryLaneOptions = {
  interceptors: Interceptor[];
  readMaxBytes: number;
  writeMaxBytes: number;
};

/** What the lane takes; its paths are `/<service>/<method>` exactly, as the kubelet sends them. */
export type UnaryRoutes = Map<string, UnaryRoute>;

const TIMEOUT = /^\d{1,8}[HMSmun]$/;
const GRPC_TYPES = new Set(["application/grpc", "application/grpc+proto"]);
const ENVELOPE_HEADER = 5;

/**
 * A router that passes every service on to `router` and notes the unary methods in
 * `into`, bound as connect binds them.
 */
export function recordingRouter(router: ConnectRouter, into: UnaryRoutes): ConnectRouter {
  const recording: ConnectRouter = Object.create(router);
  recording.service = (service, impl, options) => {
    const spec = createServiceImplSpec(service, impl);
    for (const method of service.methods) {
      const m = spec.methods[method.localName];
      if (m?.kind === "unary") into.set(`/${service.typeName}/${method.name}`, { service, method: m.method, impl: m.impl as UnaryRoute["impl"] });
    }
    router.service(service, impl, options);
    return recording;
  };
  return recording;
}

/** True when the lane can take this request; false sends it to connect. */
function takes(req: http2.Http2ServerRequest): boolean {
  if (req.method !== "POST") return false;
  if (!GRPC_TYPES.has(req.headers["content-type"] ?? "")) return false;
  const encoding = req.headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return false;
  const timeout = req.headers["grpc-timeout"];
  return timeout === undefined || (typeof timeout === "string" && TIMEOUT.test(timeout));
}

/** Milliseconds in a valid `grpc-timeout` value. */
function timeoutMs(value: string): number {
  const n = Number(value.slice(0, -1));
  const unit = value.at(-1);
  const scale = unit === "H" ? 3_600_000 : unit === "M" ? 60_000 : unit === "S" ? 1_000 : unit === "m" ? 1 : unit === "u" ? 1e-3 : 1e-6;
  return n * scale;
}

/** The request's headers as connect's adapter gives them to handlers: no pseudo-headers, lists joined. */
function requestHeaders(req: http2.Http2ServerRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith(":") || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** Writes a finished call: the reply's envelope or an error, and the trailers. */
function answer(res: http2.Http2ServerResponse, ctx: HandlerContext | undefined, body: Uint8Array | undefined, err: ConnectError | undefined): void {
  if (res.writableEnded || res.destroyed) return;
  const header: Record<string, string> = { "content-type": "application/grpc+proto" };
  const trailer: Record<string, string> = {};
  if (ctx) {
    ctx.responseHeader.forEach((v, k) => {
      if (k !== "content-type") header[k] = v;
    });
    ctx.responseTrailer.forEach((v, k) => (trailer[k] = v));
  }
  if (err) {
    trailer["grpc-status"] = String(err.code);
    trailer["grpc-message"] = encodeURIComponent(err.rawMessage);
  } else {
    trailer["grpc-status"] = "0";
  }
  try {
    res.writeHead(200, header);
    // Trailers only after the body went: a stream call-limits reset while trailers were
    // set would send them (a clean end) instead of the reset.
    if (body) res.write(body);
    res.addTrailers(trailer);
    res.end();
  } catch {
    // The stream went away, or call-limits dropped a reply the client was not reading
    // (it reset the stream itself): there is no one left to tell.
  }
}

/** One envelope holding `bytes`. */
function envelope(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER + bytes.byteLength);
  new DataView(out.buffer).setUint32(1, bytes.byteLength);
  out.set(bytes, ENVELOPE_HEADER);
  return out;
}

/** The message the handler returned, as connect normalizes it, in binary. */
function encodeReply(schema: DescMessage, out: unknown, writeMaxBytes: number): Uint8Array {
  const message = isMessage(out, schema) ? out : create(schema, out as never);
  let bytes: Uint8Array;
  try {
    bytes = toBinary(schema, message);
  } catch (e) {
    throw new ConnectError(`serialize binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
  if (bytes.byteLength > writeMaxBytes) {
    throw new ConnectError(`message size ${bytes.byteLength} is larger than configured writeMaxBytes ${writeMaxBytes}`, Code.ResourceExhausted);
  }
  return envelope(bytes);
}

/**
 * What `bytes` (a request body so far) hold past the first envelope, as connect sees it
 * while it splits envelopes: nothing, a second envelope not all there yet, one announced
 * over `readMaxBytes`, or a whole second message.
 */
function pastFirst(bytes: Buffer, readMaxBytes: number): "none" | "partial" | "too big" | "extra" {
  const rest = bytes.byteLength - ENVELOPE_HEADER - bytes.readUInt32BE(1);
  if (rest <= 0) return "none";
  if (rest < ENVELOPE_HEADER) return "partial";
  const second = bytes.readUInt32BE(bytes.byteLength - rest + 1);
  if (second > readMaxBytes) return "too big";
  return rest >= ENVELOPE_HEADER + second ? "extra" : "partial";
}

const tooBig = (length: number, max: number) => new ConnectError(`message size ${length} is larger than configured readMaxBytes ${max}`, Code.ResourceExhausted);
const extra = () => new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
const incomplete = () => new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);

/** The one message of a finished request body, or the error connect gives for it. */
function singleMessage(body: Buffer, readMaxBytes: number): Uint8Array {
  if (body.byteLength === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (body.byteLength < ENVELOPE_HEADER) throw incomplete();
  const length = body.readUInt32BE(1);
  if (body.byteLength < ENVELOPE_HEADER + length) throw incomplete();
  const past = pastFirst(body, readMaxBytes);
  if (past === "partial") throw incomplete();
  if (past === "extra") throw extra();
  if ((body[0]! & 0x01) !== 0) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  return body.subarray(ENVELOPE_HEADER, ENVELOPE_HEADER + length);
}

/** Wraps `fallback` (connect's handler) with the lane for `routes`. */
export function unaryLane(routes: UnaryRoutes, opts: UnaryLaneOptions, fallback: Handler): Handler {
  return (req, res) => {
    const route = routes.get(req.url);
    if (route === undefined || !takes(req)) return fallback(req, res);
    const chunks: Buffer[] = [];
    let total = 0;
    let refused = false;
    const refuse = (err: ConnectError) => {
      refused = true;
      chunks.length = 0;
      answer(res, undefined, undefined, err);
      // Like an HTTP/2 server that answered before the body ended: no more of it, please.
      req.stream.close();
    };
    // As connect splits envelopes: one announced too big is refused as soon as its
    // header is in, and a second whole message as soon as it is. Only the headers are
    // looked at while the body comes; it is joined once, at the end.
    let first = -1;
    let second = -1;
    const join = () => {
      if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks, total));
      return chunks[0]!;
    };
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      chunks.push(chunk);
      total += chunk.byteLength;
      if (first < 0) {
        if (total < ENVELOPE_HEADER) return;
        first = join().readUInt32BE(1);
        if (first > opts.readMaxBytes) return refuse(tooBig(first, opts.readMaxBytes));
      }
      if (total < 2 * ENVELOPE_HEADER + first) return;
      if (second < 0) {
        second = join().readUInt32BE(ENVELOPE_HEADER + first + 1);
        if (second > opts.readMaxBytes) return refuse(tooBig(second, opts.readMaxBytes));
      }
      if (total >= 2 * ENVELOPE_HEADER + first + second) refuse(extra());
    });
    req.once("end", () => {
      if (!refused) void run(route, req, res, total === 0 ? Buffer.alloc(0) : join(), opts);
    });
  };
}

/** Parses the request, runs the interceptors and the handler, and answers. */
async function run(route: UnaryRoute, req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, body: Buffer, opts: UnaryLaneOptions): Promise<void> {
  const gone = new AbortController();
  const onClose = () => gone.abort(new ConnectError("the client went away", Code.Canceled));
  req.once("close", onClose);
  const timeout = req.headers["grpc-timeout"];
  const ctx = createHandlerContext({
    service: route.service,
    method: route.method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: req.url,
    timeoutMs: typeof timeout === "string" ? timeoutMs(timeout) : undefined,
    requestSignal: gone.signal,
    requestHeader: requestHeaders(req),
    responseHeader: {},
    responseTrailer: {},
    contextValues: createContextValues(),
  });
  try {
    const bytes = singleMessage(body, opts.readMaxBytes);
    let input: unknown;
    try {
      input = fromBinary(route.method.input, bytes);
    } catch (e) {
      throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
    }
    const call = async (r: UnaryRequest): Promise<UnaryResponse> => ({
      stream: false,
      service: route.service,
      method: route.method,
      header: ctx.responseHeader,
      trailer: ctx.responseTrailer,
      message: (await route.impl(r.message, ctx)) as never,
    });
    let next = call as (r: UnaryRequest) => Promise<UnaryResponse>;
    for (let i = opts.interceptors.length - 1; i >= 0; i--) next = opts.interceptors[i]!(next as never) as typeof next;
    const reply = await next({
      stream: false,
      service: route.service,
      method: route.method,
      requestMethod: "POST",
      url: req.url,
      signal: ctx.signal,
      header: ctx.requestHeader,
      contextValues: ctx.values,
      message: input as never,
    });
    answer(res, ctx, encodeReply(route.method.output, reply.message, opts.writeMaxBytes), undefined);
  } catch (err) {
    answer(res, ctx, undefined, err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err));
  } finally {
    req.off("close", onClose);
    ctx.abort();
  }
}
