/**
 * What the gRPC server (grpc-calls.ts) serves: services as tables of methods with their
 * generated codecs (src/wire/gen/), implementations by method, and interceptors around
 * every call. The shapes follow connect's (an interceptor wraps `next`, a request has its
 * `method` and `message`, a response says whether it streams), so handlers written for
 * connect's `ServiceImpl` and its `HandlerContext.signal` run unchanged.
 */
import type { DescService } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import type { ServiceImpl } from "@connectrpc/connect";

export type RpcKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/** One method: its name, kind, and the generated reader of its request and writer of its answer. */
export type RpcMethod = {
  readonly name: string;
  readonly localName: string;
  readonly kind: RpcKind;
  read(r: BinaryReader, end: number): unknown;
  write(w: BinaryWriter, message: never): void;
};

/** A request message of `method` from its bytes; throws for bytes that are not one. */
export function decodeRequest(method: RpcMethod, bytes: Uint8Array): unknown {
  const r = new BinaryReader(bytes);
  return method.read(r, r.len);
}

/** An answer of `method` as bytes. */
export function encodeAnswer(method: RpcMethod, message: unknown): Uint8Array {
  const w = new BinaryWriter();
  method.write(w, message as never);
  return w.finish();
}

/** A service: its full name and its methods by gRPC path (`/<service>/<method>`). */
export type RpcService = { readonly typeName: string; readonly methods: Readonly<Record<string, RpcMethod>> };

/** What a handler gets besides its request. */
export type CallContext = {
  /** Aborted when the client goes away or the deadline passes. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the deadline, undefined for none. */
  timeoutMs(): number | undefined;
  readonly method: RpcMethod;
  readonly requestHeader: Headers;
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
};

/** A call as interceptors see it; `message` is an AsyncIterable when the client streams. */
export type RpcRequest = { readonly method: RpcMethod; readonly stream: boolean; readonly message: unknown; readonly ctx: CallContext };
/** Its answer: one message, or the messages of a server stream. */
export type RpcResponse = { readonly stream: false; readonly message: unknown } | { readonly stream: true; readonly message: AsyncIterable<unknown> };
export type Invoke = (req: RpcRequest) => Promise<RpcResponse>;
export type Interceptor = (next: Invoke) => Invoke;

/** A method's implementation: (request or requests, context) to an answer or an AsyncIterable of answers. */
type Impl = (input: never, ctx: CallContext) => unknown;

/** A method bound to its implementation. */
export type Route = { readonly method: RpcMethod; readonly impl: Impl };

/** The implementations of service `S`, typed by its protobuf-es descriptor (types only: nothing of it is loaded). */
export type Implementation<S extends DescService> = ServiceImpl<S>;

/** Services and their implementations, by gRPC path. */
export class Router {
  readonly routes = new Map<string, Route>();

  /** Routes the methods `impl` has; a call to one it lacks answers UNIMPLEMENTED. */
  service<S extends DescService>(service: RpcService, impl: Partial<Implementation<S>>): this {
    const fns = impl as unknown as Record<string, Impl | undefined>;
    for (const [path, method] of Object.entries(service.methods)) {
      const fn = fns[method.localName];
      if (fn) this.routes.set(path, { method, impl: fn });
    }
    return this;
  }
}

/** `interceptors` around `last`, the first outermost (as connect applies them). */
export function applyInterceptors(last: Invoke, interceptors: readonly Interceptor[]): Invoke {
  return interceptors.reduceRight<Invoke>((next, i) => i(next), last);
}

/** The innermost step of every call: the implementation itself. */
export function callImplementation(route: Route): Invoke {
  return async (req) => {
    const out = route.impl(req.message as never, req.ctx);
    if (route.method.kind === "server_streaming" || route.method.kind === "bidi_streaming") {
      return { stream: true, message: out as AsyncIterable<unknown> };
    }
    return { stream: false, message: await out };
  };
}
