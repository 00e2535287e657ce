/**
 * skiff's gRPC calls (grpc-calls.ts) against connect itself: the same requests to a server
 * of each, with the same implementations, get the same answers: status, every header and
 * trailer but the date, the reply's bytes, the stream's reset code (test/support/raw-h2.ts's
 * h2Call). Then what skiff does on its own: streams both ways, and no JSON.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type Interceptor as ConnectInterceptor, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { PodSandboxStatusRequestSchema, RuntimeService, VersionRequestSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { Images } from "../../../src/gen/skiff/v1/skiff_pb.ts";
import { ImagesRpc } from "../../../src/wire/gen/skiff-v1.ts";
import { RuntimeServiceRpc } from "../../../src/wire/gen/runtime-v1.ts";
import { createErrorInterceptor } from "../../../src/server/interceptors.ts";
import { type StreamHandler, grpcCalls } from "../../../src/server/grpc-calls.ts";
import { H2Connection } from "../../../src/server/h2/connection.ts";
import { listenUnix } from "../../../src/server/h2/listen.ts";
import { type Interceptor, Router } from "../../../src/server/rpc.ts";
import { RpcError } from "../../../src/server/rpc-error.ts";
import { grpcMessage, type H2Answer, h2Call } from "../../support/raw-h2.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-calls-"));
const READ_MAX = 64 * 1024;
const WRITE_MAX = 256 * 1024;
const SVC = "/runtime.v1.RuntimeService";

/** What interceptors saw, in order. */
const seen: string[] = [];
/** The same interceptor for both servers: both give it a request with `method.name` and pass on what `next` gives. */
const tag = (name: string): Interceptor =>
  ((next: (req: { method: { name: string } }) => Promise<unknown>) => async (req: { method: { name: string } }) => {
    seen.push(`${name} ${req.method.name}`);
    return next(req);
  }) as unknown as Interceptor;

/** What the handlers saw of their context. */
const contexts: { deadline?: number; aborted: Promise<unknown> }[] = [];

const runtimeImpl: Partial<ServiceImpl<typeof RuntimeService>> = {
    version: async (req) => ({ version: req.version, runtimeName: "lane" }),
    status: async () => {
      throw new Error("a plain error");
    },
    podSandboxStatus: async (req) => {
      if (req.podSandboxId === "") throw new ConnectError("pod_sandbox_id: is required", Code.InvalidArgument);
      if (req.podSandboxId === "detailed") throw new ConnectError("with metadata", Code.NotFound, { "x-meta": "m" });
      if (req.podSandboxId === "surrogate") throw new ConnectError("half a pair: \ud800", Code.NotFound);
      if (req.podSandboxId === "big") return { info: { x: "y".repeat(WRITE_MAX) } };
      return { status: { id: req.podSandboxId } };
    },
    listPodSandbox: async (_req, ctx: HandlerContext) => {
      const aborted = ctx.signal.aborted ? Promise.resolve(ctx.signal.reason) : new Promise((r) => ctx.signal.addEventListener("abort", () => r(ctx.signal.reason)));
      contexts.push({ deadline: ctx.timeoutMs(), aborted });
      if (!ctx.signal.aborted) await new Promise((r) => ctx.signal.addEventListener("abort", r));
      return {};
    },
  };
/** Server streams: GetContainerEvents sends as many events as the request's... nothing, so three; StreamContainers fails after one. */
Object.assign(runtimeImpl, {
  async *getContainerEvents() {
    for (let i = 0; i < 3; i++) yield { containerId: `c${i}` };
  },
  async *streamPodSandboxes() {
    throw new Error("never");
  },
  async *streamContainers() {
    yield { containers: [{ id: "one" }] };
    throw new ConnectError("broke mid-stream", Code.DataLoss);
  },
});
const imagesImpl: Partial<ServiceImpl<typeof Images>> = {
  async import(reqs) {
    let n = 0;
    for await (const r of reqs) n += r.chunk.byteLength;
    return { images: [{ id: `got ${n}` }] };
  },
};

const interceptors = [tag("outer"), createErrorInterceptor(), tag("inner")];

/** connect knows its own ConnectError only: skiff's RpcError becomes one, for the reference server. */
const asConnect = (e: unknown) => (RpcError.is(e) && !(e instanceof ConnectError) ? new ConnectError(e.rawMessage, e.code as number, (e as RpcError).metadata) : e);
async function* connectStream(source: AsyncIterable<unknown>) {
  try {
    yield* source;
  } catch (e) {
    throw asConnect(e);
  }
}
const forConnect: ConnectInterceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: connectStream(res.message) as never } : res;
  } catch (e) {
    throw asConnect(e);
  }
};
const options = { interceptors, readMaxBytes: READ_MAX, writeMaxBytes: WRITE_MAX };

function listen(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void, name: string): Promise<{ socket: string; server: { close(): void } }> {
  const server = http2.createServer(handler);
  const socket = path.join(dir, name);
  return new Promise((resolve) => server.listen(socket, () => resolve({ socket, server })));
}

/** skiff's side: its own HTTP/2 connections (no call limits) handing streams to grpcCalls. */
function listenH2(handler: StreamHandler, name: string): { socket: string; server: { close(): void } } {
  const socket = path.join(dir, name);
  const listener = listenUnix(socket, (t) => new H2Connection(t, { maxConcurrentStreams: 256, maxHeaderListSize: 64 * 1024, window: 1024 * 1024, onStream: handler }));
  return { socket, server: { close: () => listener.stop() } };
}

let lane: { socket: string; server: { close(): void } };
let plain: { socket: string; server: { close(): void } };

beforeAll(async () => {
  const router = new Router().service<typeof RuntimeService>(RuntimeServiceRpc, runtimeImpl).service<typeof Images>(ImagesRpc, imagesImpl);
  lane = listenH2(grpcCalls(router.routes, options), "skiff.sock");
  plain = await listen(
    connectNodeAdapter({
      routes: (r) => r.service(RuntimeService, runtimeImpl).service(Images, imagesImpl),
      interceptors: [forConnect, ...(interceptors as unknown as ConnectInterceptor[])],
      readMaxBytes: READ_MAX,
      writeMaxBytes: WRITE_MAX,
      grpc: true,
      connect: false,
      grpcWeb: false,
    }),
    "connect.sock",
  );
});
afterAll(() => {
  lane.server.close();
  plain.server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One call to `method` with the body in `chunks` and extra request headers. */
const call = (socket: string, method: string, chunks: Uint8Array[], headers: Record<string, string> = {}): Promise<H2Answer> =>
  h2Call(socket, `${SVC}/${method}`, chunks, { headers }).answer;

const version = grpcMessage(toBinary(VersionRequestSchema, create(VersionRequestSchema, { version: "v1" })));
const status = (id: string) => grpcMessage(toBinary(PodSandboxStatusRequestSchema, create(PodSandboxStatusRequestSchema, { podSandboxId: id })));

/** A ListPodSandbox call to the lane with `grpc-timeout`, its body not sent yet; the handler's contexts are cleared. */
function listWithTimeout(timeout: string) {
  contexts.length = 0;
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(lane.socket) });
  session.on("error", () => {});
  const req = session.request({ ":method": "POST", ":path": `${SVC}/ListPodSandbox`, "content-type": "application/grpc", "grpc-timeout": timeout });
  req.on("error", () => {});
  return { session, req };
}

describe("skiff answers as connect does", () => {
  const cases: { desc: string; method: string; chunks: Uint8Array[]; headers?: Record<string, string> }[] = [
    { desc: "a reply", method: "Version", chunks: [version] },
    { desc: "a reply, the request split across chunks", method: "Version", chunks: [version.subarray(0, 3), version.subarray(3, 7), version.subarray(7)] },
    { desc: "content type application/grpc+proto", method: "Version", chunks: [version], headers: { "content-type": "application/grpc+proto" } },
    { desc: "a ConnectError's code and message", method: "PodSandboxStatus", chunks: [status("")] },
    { desc: "a ConnectError's metadata", method: "PodSandboxStatus", chunks: [status("detailed")] },
    { desc: "a plain error (INTERNAL with its message, through the error interceptor)", method: "Status", chunks: [grpcMessage(new Uint8Array(0))] },
    { desc: "no message", method: "Version", chunks: [new Uint8Array(0)] },
    { desc: "two messages", method: "Version", chunks: [version, version] },
    { desc: "two messages in one chunk", method: "Version", chunks: [Buffer.concat([version, version])] },
    { desc: "a second message cut short", method: "Version", chunks: [version, version.subarray(0, version.byteLength - 1)] },
    { desc: "a second envelope header cut short", method: "Version", chunks: [version, version.subarray(0, 3)] },
    { desc: "a second message announced over readMaxBytes", method: "Version", chunks: [version, grpcMessage(new Uint8Array(8), READ_MAX + 1)] },
    { desc: "a first message that does not parse, then a second", method: "Version", chunks: [grpcMessage(new Uint8Array([0x0a, 0xff, 0xff, 0x03])), version] },
    { desc: "the same in one chunk", method: "Version", chunks: [Buffer.concat([grpcMessage(new Uint8Array([0x0a, 0xff, 0xff, 0x03])), version])] },
    { desc: "a compressed first message, then a second", method: "Version", chunks: [grpcMessage(new Uint8Array(0), 0, 1), version] },
    { desc: "a message cut short", method: "Version", chunks: [version.subarray(0, version.byteLength - 1)] },
    { desc: "a cut envelope header", method: "Version", chunks: [version.subarray(0, 3)] },
    { desc: "a compressed message without grpc-encoding", method: "Version", chunks: [grpcMessage(new Uint8Array(0), 0, 1)] },
    { desc: "bytes that do not parse", method: "Version", chunks: [grpcMessage(new Uint8Array([0x0a, 0xff, 0xff, 0x03]))] },
    { desc: "a message over readMaxBytes", method: "Version", chunks: [grpcMessage(new Uint8Array(READ_MAX + 1))] },
    { desc: "a reply over writeMaxBytes", method: "PodSandboxStatus", chunks: [status("big")] },
    { desc: "a deadline that passes before the reply", method: "Version", chunks: [version], headers: { "grpc-timeout": "1n" } },
    { desc: "a malformed grpc-timeout", method: "Version", chunks: [version], headers: { "grpc-timeout": "soon" } },
    { desc: "a server stream", method: "GetContainerEvents", chunks: [grpcMessage(new Uint8Array(0))] },
    { desc: "a server stream that fails after its first message", method: "StreamContainers", chunks: [grpcMessage(new Uint8Array(0))] },
    { desc: "a server stream that fails before any message", method: "StreamPodSandboxes", chunks: [grpcMessage(new Uint8Array(0))] },
  ];
  for (const c of cases) {
    test(c.desc, async () => {
      const got = await call(lane.socket, c.method, c.chunks, c.headers);
      expect(got).toEqual(await call(plain.socket, c.method, c.chunks, c.headers));
    });
  }

  test("a message announced over readMaxBytes is refused before its body comes", async () => {
    const session = http2.connect("http://localhost", { createConnection: () => net.connect(lane.socket) });
    session.on("error", () => {});
    const req = session.request({ ":method": "POST", ":path": `${SVC}/Version`, "content-type": "application/grpc" });
    req.write(grpcMessage(new Uint8Array(16), 1 << 30).subarray(0, 21));
    const trailers = await new Promise<http2.IncomingHttpHeaders>((r) => req.on("trailers", r));
    expect(trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
    expect(decodeURIComponent(String(trailers["grpc-message"]))).toBe(`message size ${1 << 30} is larger than configured readMaxBytes ${READ_MAX}`);
    req.close();
    session.close();
  });

  test("an answer is never compressed, even for a client that accepts gzip", async () => {
    const accepts = { "grpc-accept-encoding": "identity,deflate,gzip" };
    const got = await call(lane.socket, "PodSandboxStatus", [status("p".repeat(4096))], accepts);
    expect(got.grpcStatus).toBe("0");
    // The envelope's flag byte is 0 (not compressed) and it holds the id as sent.
    expect(got.data.slice(0, 2)).toBe("00");
    expect(Buffer.from(got.data, "hex").includes(Buffer.from("p".repeat(4096)))).toBe(true);
  });

  test("an error message that cannot be percent-encoded is still answered, with its broken half replaced", async () => {
    const got = await call(lane.socket, "PodSandboxStatus", [status("surrogate")]);
    expect(got.grpcStatus).toBe(String(Code.NotFound));
    expect(got.grpcMessage).toBe("half a pair: \ufffd");
    // And the server goes on.
    expect((await call(lane.socket, "Version", [version])).grpcStatus).toBe("0");
  });

  test("the deadline counts from the request's headers, not from the end of its body", async () => {
    const { session, req } = listWithTimeout("200m");
    req.resume();
    const body = grpcMessage(new Uint8Array(0));
    req.write(body.subarray(0, 2));
    await Bun.sleep(400);
    req.end(body.subarray(2));
    await new Promise((r) => req.on("close", r));
    expect(contexts[0]!.deadline).toBeLessThanOrEqual(0);
    session.close();
  });

  test("the interceptors run in connect's order, outermost first", async () => {
    seen.length = 0;
    await call(lane.socket, "Version", [version]);
    expect(seen).toEqual(["outer Version", "inner Version"]);
  });

  test("the handler's context has the deadline and is aborted when the client goes away", async () => {
    const { session, req } = listWithTimeout("20S");
    req.end(grpcMessage(new Uint8Array(0)));
    for (let i = 0; i < 100 && contexts.length === 0; i++) await Bun.sleep(10);
    expect(contexts[0]!.deadline).toBeGreaterThan(19_000);
    expect(contexts[0]!.deadline).toBeLessThanOrEqual(20_000);
    req.close(http2.constants.NGHTTP2_CANCEL);
    expect(await contexts[0]!.aborted).toMatchObject({ code: Code.Canceled });
    session.close();
  });
});

describe("what skiff does on its own", () => {
  test("a client stream is read to its end, its messages parsed as they complete", async () => {
    const chunk = (n: number) => grpcMessage(new Uint8Array([0x0a, n, ...new Uint8Array(n)]));
    const body = Buffer.concat([chunk(3), chunk(5), chunk(7)]);
    const path = "/skiff.v1.Images/Import";
    const got = await h2Call(lane.socket, path, [body.subarray(0, 4), body.subarray(4, 11), body.subarray(11)]).answer;
    expect(got).toEqual(await h2Call(plain.socket, path, [body]).answer);
    expect(got.grpcStatus).toBe("0");
    expect(Buffer.from(got.data, "hex").includes(Buffer.from("got 15"))).toBe(true);
  });

  // connect names gzip in its answer's headers to a gzip request; skiff answers
  // uncompressed and says nothing, which gRPC allows.
  test("a gzip-compressed request message is read", async () => {
    const { gzipSync } = await import("node:zlib");
    const zipped = gzipSync(toBinary(VersionRequestSchema, create(VersionRequestSchema, { version: "zipped" })));
    const got = await call(lane.socket, "Version", [grpcMessage(zipped, zipped.byteLength, 1)], { "grpc-encoding": "gzip" });
    expect(got.grpcStatus).toBe("0");
    expect(Buffer.from(got.data, "hex").includes(Buffer.from("zipped"))).toBe(true);
  });

  test("JSON bodies are refused as unsupported media (the kubelet and crictl send protobuf)", async () => {
    const got = await call(lane.socket, "Version", [version], { "content-type": "application/grpc+json" });
    expect(got.status).toBe(415);
  });

  test("an unknown method, or one without an implementation, is UNIMPLEMENTED", async () => {
    for (const m of ["NoSuchMethod", "Attach"]) {
      const got = await call(lane.socket, m, [version]);
      expect(got.grpcStatus).toBe(String(Code.Unimplemented));
    }
  });
});
