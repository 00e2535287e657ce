/**
 * The unary lane against connect itself: the same requests to a server with the lane and
 * to connect's adapter alone get the same answers: status, every header and trailer
 * but the date, the reply's bytes, the stream's reset code (test/support/raw-h2.ts's
 * h2Call); and the lane leaves to connect what it does not take.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { PodSandboxStatusRequestSchema, RuntimeService, VersionRequestSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { createErrorInterceptor } from "../../../src/server/interceptors.ts";
import { recordingRouter, type UnaryRoutes, unaryLane } from "../../../src/server/unary-lane.ts";
import { grpcMessage, type H2Answer, h2Call } from "../../support/raw-h2.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-lane-"));
const READ_MAX = 64 * 1024;
const WRITE_MAX = 256 * 1024;
const SVC = "/runtime.v1.RuntimeService";

/** What interceptors saw, in order. */
const seen: string[] = [];
const tag =
  (name: string): Interceptor =>
  (next) =>
  async (req) => {
    seen.push(`${name} ${req.method.name}`);
    return next(req);
  };

/** What the handlers saw of their context. */
const contexts: { deadline?: number; aborted: Promise<unknown> }[] = [];

function routes(router: ConnectRouter): void {
  router.service(RuntimeService, {
    version: async (req) => ({ version: req.version, runtimeName: "lane" }),
    status: async () => {
      throw new Error("a plain error");
    },
    podSandboxStatus: async (req) => {
      if (req.podSandboxId === "") throw new ConnectError("pod_sandbox_id: is required", Code.InvalidArgument);
      if (req.podSandboxId === "detailed") {
        throw new ConnectError("with details", Code.NotFound, { "x-meta": "m" }, [{ desc: VersionRequestSchema, value: { version: "v9" } }]);
      }
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
  });
}

const options = { interceptors: [tag("outer"), createErrorInterceptor(), tag("inner")], readMaxBytes: READ_MAX, writeMaxBytes: WRITE_MAX };
let fallbacks = 0;

function listen(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void, name: string): Promise<{ socket: string; server: http2.Http2Server }> {
  const server = http2.createServer(handler);
  const socket = path.join(dir, name);
  return new Promise((resolve) => server.listen(socket, () => resolve({ socket, server })));
}

let lane: { socket: string; server: http2.Http2Server };
let plain: { socket: string; server: http2.Http2Server };

beforeAll(async () => {
  const unary: UnaryRoutes = new Map();
  const connect = connectNodeAdapter({ routes: (r) => routes(recordingRouter(r, unary)), ...options, grpc: true, connect: false, grpcWeb: false });
  lane = await listen(
    unaryLane(unary, options, (req, res) => {
      fallbacks++;
      connect(req, res);
    }),
    "lane.sock",
  );
  plain = await listen(connectNodeAdapter({ routes, ...options, grpc: true, connect: false, grpcWeb: false }), "plain.sock");
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

describe("the unary lane answers as connect does", () => {
  const cases: { desc: string; method: string; chunks: Uint8Array[]; headers?: Record<string, string> }[] = [
    { desc: "a reply", method: "Version", chunks: [version] },
    { desc: "a reply, the request split across chunks", method: "Version", chunks: [version.subarray(0, 3), version.subarray(3, 7), version.subarray(7)] },
    { desc: "content type application/grpc+proto", method: "Version", chunks: [version], headers: { "content-type": "application/grpc+proto" } },
    { desc: "a ConnectError's code and message", method: "PodSandboxStatus", chunks: [status("")] },
    { desc: "a ConnectError's metadata and details", method: "PodSandboxStatus", chunks: [status("detailed")] },
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
  ];
  for (const c of cases) {
    test(c.desc, async () => {
      const before = fallbacks;
      const got = await call(lane.socket, c.method, c.chunks, c.headers);
      expect(fallbacks).toBe(before);
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
    expect(await contexts[0]!.aborted).toBeInstanceOf(ConnectError);
    session.close();
  });
});

describe("what the lane leaves to connect", () => {
  const cases: { desc: string; method: string; headers: Record<string, string> }[] = [
    { desc: "JSON bodies", method: "Version", headers: { "content-type": "application/grpc+json" } },
    { desc: "compressed bodies", method: "Version", headers: { "grpc-encoding": "gzip" } },
    { desc: "a malformed grpc-timeout", method: "Version", headers: { "grpc-timeout": "soon" } },
    { desc: "streaming methods", method: "GetContainerEvents", headers: {} },
    { desc: "unknown methods", method: "NoSuchMethod", headers: {} },
  ];
  for (const c of cases) {
    test(c.desc, async () => {
      const before = fallbacks;
      const got = await call(lane.socket, c.method, [version], c.headers);
      expect(fallbacks).toBe(before + 1);
      expect(got).toEqual(await call(plain.socket, c.method, [version], c.headers));
    });
  }
});
