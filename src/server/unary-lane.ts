/**
 * A short way through for the common gRPC call: unary, protobuf, uncompressed. connect
 * runs every call through a chain of async iterables (split envelopes, parse, invoke,
 * serialize, join), which cost skiff more than half of the CPU a `Version` cost the
 * daemon on this project's 2-core machine (409 µs a call with it, 169 without). The lane
 * reads the one message and hands it to connect's own pieces: its serializers (with the
 * size limits and their messages), `createHandlerContext`, `invokeUnaryImplementation`
 * (the interceptors, then the handler, as connect calls them) and `setTrailerStatus`; it
 * writes the answer in three frames. Anything else (streaming methods, other content
 * types, compressed or JSON bodies, a malformed `grpc-timeout`, unknown paths, services
 * registered with options) goes to connect untouched, so connect stays the reference:
 *
 * - the answer is `:status` 200 and `content-type: application/grpc+proto`, the reply in
 *   one envelope, then trailers with `grpc-status` (and `grpc-message`, percent-encoded,
 *   with an error's metadata and details as connect sends them); an error sends the same
 *   headers and no data;
 * - the body's errors come in connect's order, with its codes and messages: a message
 *   announced over `readMaxBytes` is RESOURCE_EXHAUSTED as soon as its envelope header
 *   arrives; then the first message is checked (a compressed one without
 *   `grpc-encoding`, bytes that do not parse: INTERNAL); then what follows it (a whole
 *   second message: UNIMPLEMENTED; part of one: INVALID_ARGUMENT); no message at all is
 *   UNIMPLEMENTED;
 * - the handler's deadline counts from when the request's headers came, as connect's;
 * - one difference: the lane never compresses an answer, where connect gzips one over
 *   1 KiB for a client that accepts gzip (grpc-js says it does by default). gRPC lets a
 *   server answer uncompressed whatever the client accepts, and on a local socket
 *   compressing costs CPU and saves nothing.
 *
 * The lane sits under `limitCalls` (call-limits.ts), which sees and bounds its calls as
 * it does connect's. skiff gives connect no request gate, shutdown signal or timeout
 * bound, so the lane has none to honour.
 */
import * as http2 from "node:http2";
import type { DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type Interceptor,
  type MethodImplSpec,
  createContextValues,
  createHandlerContext,
  createServiceImplSpec,
} from "@connectrpc/connect";
import { type MethodSerializationLookup, createMethodSerializationLookup, encodeEnvelope, invokeUnaryImplementation } from "@connectrpc/connect/protocol";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** A unary method, the function connect would call for it, and its serializers once made. */
type UnaryRoute = {
  service: DescService;
  spec: MethodImplSpec & { kind: "unary" };
  serialization?: MethodSerializationLookup<DescMessage, DescMessage>;
};

export type UnaryLaneOptions = {
  interceptors: Interceptor[];
  readMaxBytes: number;
  writeMaxBytes: number;
};

/** What the lane takes; its paths are `/<service>/<method>` exactly, as the kubelet sends them. */
export type UnaryRoutes = Map<string, UnaryRoute>;

const GRPC_TYPES = new Set(["application/grpc", "application/grpc+proto"]);
const ENVELOPE_HEADER = 5;

/**
 * A router that passes every service on to `router` and notes the unary methods in
 * `into`, bound as connect binds them. A service given options is left to connect.
 */
export function recordingRouter(router: ConnectRouter, into: UnaryRoutes): ConnectRouter {
  const recording: ConnectRouter = Object.create(router);
  recording.service = (service, impl, options) => {
    if (options === undefined) {
      const spec = createServiceImplSpec(service, impl);
      for (const method of service.methods) {
        const m = spec.methods[method.localName];
        if (m?.kind === "unary") into.set(`/${service.typeName}/${method.name}`, { service, spec: m });
      }
    }
    router.service(service, impl, options);
    return recording;
  };
  return recording;
}

/**
 * The request's deadline (`timeoutMs` absent for none) when the lane can take it;
 * undefined sends it to connect, which also answers a `grpc-timeout` it cannot parse.
 */
function takes(req: http2.Http2ServerRequest): { timeoutMs?: number } | undefined {
  if (req.method !== "POST") return undefined;
  if (!GRPC_TYPES.has(req.headers["content-type"] ?? "")) return undefined;
  const encoding = req.headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return undefined;
  const timeout = req.headers["grpc-timeout"];
  if (timeout === undefined) return {};
  if (typeof timeout !== "string") return undefined;
  // No bound: skiff gives connect none either.
  const parsed = parseTimeout(timeout, Number.MAX_SAFE_INTEGER);
  return parsed.error ? undefined : { timeoutMs: parsed.timeoutMs };
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

/** Web headers as node:http2 takes them. */
function plain(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k] = v));
  return out;
}

/** A ConnectError whose message can go into a header: a lone surrogate would make encodeURIComponent throw. */
function sendable(err: unknown): ConnectError {
  const e = err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
  if (e.rawMessage.isWellFormed()) return e;
  const fixed = new ConnectError(e.rawMessage.toWellFormed(), e.code, e.metadata, undefined, e.cause);
  fixed.details = e.details;
  return fixed;
}

/**
 * Writes a finished call: headers, the reply's envelope (none for an error), trailers.
 * If even that fails, the stream is reset, so the client is never left waiting.
 */
function answer(res: http2.Http2ServerResponse, header: Headers, trailer: Headers, body: Uint8Array | undefined, err: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  try {
    header.set("content-type", "application/grpc+proto");
    setTrailerStatus(trailer, err === undefined ? undefined : sendable(err));
    res.writeHead(200, plain(header));
    // Trailers only after the body went: a stream call-limits reset while trailers were
    // set would send them (a clean end) instead of the reset.
    if (body) res.write(body);
    res.addTrailers(plain(trailer));
    res.end();
  } catch {
    // The stream went away, or call-limits dropped a reply the client was not reading
    // (it reset the stream itself), or the answer could not be written: reset it.
    try {
      if (!res.stream.closed) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    } catch {
      // already gone
    }
  }
}

const tooBig = (length: number, max: number) => new ConnectError(`message size ${length} is larger than configured readMaxBytes ${max}`, Code.ResourceExhausted);
const incomplete = () => new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
const extra = () => new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);

/** The first message of `body`, parsed, when its envelope (`length` bytes) is all there; connect's error if it is bad. */
function firstMessage(body: Buffer, length: number, parse: (b: Uint8Array) => unknown): unknown {
  if ((body[0]! & 0x01) !== 0) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  return parse(body.subarray(ENVELOPE_HEADER, ENVELOPE_HEADER + length));
}

/**
 * The one message of a finished body of `total` bytes whose first envelope announced
 * `first` bytes (-1: no whole header came), parsed, or the error connect gives for it.
 * A second message announced too big or whole was refused while the body came, so what
 * follows the first can only be part of one.
 */
function singleMessage(body: Buffer, total: number, first: number, parse: (b: Uint8Array) => unknown): unknown {
  if (total === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (first < 0 || total < ENVELOPE_HEADER + first) throw incomplete();
  // connect reads the first message before it looks at what follows.
  const input = firstMessage(body, first, parse);
  if (total > ENVELOPE_HEADER + first) throw incomplete();
  return input;
}

/** Wraps `fallback` (connect's handler) with the lane for `routes`. */
export function unaryLane(routes: UnaryRoutes, opts: UnaryLaneOptions, fallback: Handler): Handler {
  const limits = { readMaxBytes: opts.readMaxBytes, writeMaxBytes: opts.writeMaxBytes };
  return (req, res) => {
    const route = routes.get(req.url);
    const taken = route === undefined ? undefined : takes(req);
    if (route === undefined || taken === undefined) return fallback(req, res);
    const arrived = Date.now();
    route.serialization ??= createMethodSerializationLookup(route.spec.method, undefined, undefined, limits);
    const parse = (b: Uint8Array) => route.serialization!.getI(true).parse(b);
    const chunks: Buffer[] = [];
    let total = 0;
    let refused = false;
    const refuse = (err: ConnectError) => {
      refused = true;
      chunks.length = 0;
      answer(res, new Headers(), new Headers(), undefined, err);
      // Like an HTTP/2 server that answered before the body ended: no more of it, please.
      if (!req.stream.closed) req.stream.close();
    };
    // As connect splits envelopes: one announced too big is refused as soon as its
    // header is in; once a second envelope shows, the first message is checked, then the
    // second refused when its header says too big or when it is whole. Only the headers
    // are looked at while the body comes; it is joined once, at the end.
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
      try {
        if (second < 0) {
          const body = join();
          firstMessage(body, first, parse);
          second = body.readUInt32BE(ENVELOPE_HEADER + first + 1);
          if (second > opts.readMaxBytes) return refuse(tooBig(second, opts.readMaxBytes));
        }
        if (total >= 2 * ENVELOPE_HEADER + first + second) refuse(extra());
      } catch (err) {
        refuse(err as ConnectError);
      }
    });
    req.once("end", () => {
      if (refused) return;
      const input = () => singleMessage(total === 0 ? Buffer.alloc(0) : join(), total, first, parse);
      // Counted from the headers, as connect counts it: a slow body does not buy time.
      const timeoutMs = taken.timeoutMs === undefined ? undefined : taken.timeoutMs - (Date.now() - arrived);
      run(route, req, res, input, timeoutMs, opts).catch((err) => answer(res, new Headers(), new Headers(), undefined, err));
    });
  };
}

/** Parses the request, runs the interceptors and the handler as connect does, and answers. */
async function run(
  route: UnaryRoute,
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  input: () => unknown,
  timeoutMs: number | undefined,
  opts: UnaryLaneOptions,
): Promise<void> {
  const gone = new AbortController();
  const onClose = () => gone.abort(new ConnectError("the client went away", Code.Canceled));
  req.once("close", onClose);
  const ctx = createHandlerContext({
    service: route.service,
    method: route.spec.method as DescMethod & { methodKind: "unary" },
    protocolName: "grpc",
    requestMethod: "POST",
    url: new URL(req.url, `http://${req.authority || "localhost"}`).toString(),
    timeoutMs,
    requestSignal: gone.signal,
    requestHeader: requestHeaders(req),
    responseHeader: {},
    responseTrailer: {},
    contextValues: createContextValues(),
  });
  try {
    const output = await invokeUnaryImplementation(route.spec, ctx, input() as never, opts.interceptors);
    const bytes = route.serialization!.getO(true).serialize(output);
    answer(res, ctx.responseHeader, ctx.responseTrailer, encodeEnvelope(0, bytes), undefined);
  } catch (err) {
    answer(res, ctx.responseHeader, ctx.responseTrailer, undefined, err);
  } finally {
    req.off("close", onClose);
    ctx.abort();
  }
}
