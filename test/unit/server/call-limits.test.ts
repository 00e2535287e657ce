/**
 * The call limits on a real server (a unix socket in a temp dir) with small bounds, driven
 * by a raw HTTP/2 client that breaks the rules on purpose: calls past the in-flight bound,
 * responses nobody reads, requests that never finish arriving.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "../../../src/logger.ts";
import { createCriClient } from "../../../src/cli/cri-client.ts";
import type { RuntimeService } from "../../../src/gen/runtime/v1/api_pb.ts";
import { RuntimeServiceRpc } from "../../../src/wire/gen/runtime-v1.ts";
import { DEFAULT_CALL_LIMITS } from "../../../src/server/call-limits.ts";
import { createGrpcServer } from "../../../src/server/grpc-server.ts";
import { createErrorInterceptor } from "../../../src/server/interceptors.ts";
import { FLAG, FRAME, frame, grpcHeaders, grpcMessage, h2Call, rawH2 } from "../../support/raw-h2.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-limits-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

const BIG = 200_000;
const VERSION = "/runtime.v1.RuntimeService/Version";

/** A server whose Version answers with ~200 KB, and whose Status never answers until aborted. */
async function server(limits: Partial<typeof DEFAULT_CALL_LIMITS>) {
  const socket = path.join(dir, `s${n++}/skiff.sock`);
  const s = createGrpcServer({
    routes: (r) =>
      r.service<typeof RuntimeService>(RuntimeServiceRpc, {
        version: async () => ({ runtimeName: "x".repeat(BIG) }),
        status: async (_req, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return {};
        },
      }),
    interceptors: [createErrorInterceptor()],
    readMaxBytes: 1024 * 1024,
    writeMaxBytes: 1024 * 1024,
    log: createLogger({ level: "silent" }),
    limits: { ...DEFAULT_CALL_LIMITS, ...limits },
  });
  await s.listen({ kind: "unix", path: socket }, { mode: 0o600, group: "" });
  return { s, socket };
}

const ask = (c: Awaited<ReturnType<typeof rawH2>>, id: number, p = VERSION) => {
  c.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, grpcHeaders(p)));
  c.send(frame(FRAME.DATA, FLAG.END_STREAM, id, grpcMessage(new Uint8Array(0))));
};

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe("call limits", () => {
  test("responses a connection does not read are kept up to the bound; past it they are dropped with ENHANCE_YOUR_CALM", async () => {
    const { s, socket } = await server({ maxUnreadBytes: 1024 * 1024 });
    const c = await rawH2(socket);
    const ids = Array.from({ length: 30 }, (_, i) => 1 + 2 * i);
    for (const id of ids) ask(c, id);
    // Held: answered, but the answer waits for the client to read it. The first always
    // goes out; then as many as fit in 1 MiB on top of what waits. A dropped call's
    // headers may come a moment before its reset, so wait for the count to come down.
    const bound = Math.ceil((1024 * 1024) / BIG) + 1;
    const heldIds = () => ids.filter((id) => !c.resets.has(id) && !c.ended.has(id));
    const answered = (id: number) => c.resets.has(id) || (c.framesOf(FRAME.HEADERS).get(id) ?? 0) > 0;
    await until("every call answered or dropped, and at most the bound held", () => ids.every(answered) && heldIds().length <= bound);
    const held = heldIds();
    expect(held.length).toBeGreaterThanOrEqual(1);
    // The rest were dropped (reset with ENHANCE_YOUR_CALM) or, arriving once the bound was
    // reached, refused at once (a trailers-only answer).
    expect(ids.filter((id) => c.resets.get(id) === 11 || c.ended.has(id)).length).toBe(ids.length - held.length);
    expect(ids.some((id) => c.resets.get(id) === 11)).toBe(true);
    // A client that reads gets the same big answer.
    const reader = createCriClient(`unix://${socket}`, { timeoutMs: 5_000 });
    expect((await reader.runtime.version({})).runtimeName.length).toBe(BIG);
    reader.close();
    c.close();
    await s.close(100);
  });

  test("a connection with too much unread gets new calls refused at once (a trailers-only answer)", async () => {
    const { s, socket } = await server({ maxUnreadBytes: 100_000 });
    const session = await rawH2(socket);
    ask(session, 1);
    await until("the first answer to be stuck", () => (session.framesOf(FRAME.HEADERS).get(1) ?? 0) > 0);
    // A second call on a node:http2 session would be a new connection; use the same raw one.
    ask(session, 3);
    await until("the refusal", () => session.ended.has(3));
    expect(session.dataBytes.get(3)).toBeUndefined();
    session.close();
    await s.close(100);
  });

  test("a response nobody reads, and a request that never finishes arriving, are cancelled after stuckMs", async () => {
    const { s, socket } = await server({ stuckMs: 300 });
    const c = await rawH2(socket);
    ask(c, 1);
    c.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 3, grpcHeaders(VERSION))); // no body, ever
    await until("both to be cancelled", () => c.resets.get(1) === 8 && c.resets.get(3) === 8);
    c.close();
    await s.close(100);
  });

  test("past maxCalls a call is RESOURCE_EXHAUSTED, unless its connection is under the floor; slots come back", async () => {
    const { s, socket } = await server({ maxCalls: 4, floor: 2 });
    const hog = await rawH2(socket);
    for (let i = 0; i < 6; i++) ask(hog, 1 + 2 * i, "/runtime.v1.RuntimeService/Status");
    await until("two of the hog's calls to be refused", () => hog.ended.size === 2);
    // Another connection still gets its floor of two.
    const session = http2.connect("http://localhost", { createConnection: () => net.connect(socket) });
    const other = Array.from({ length: 3 }, () => h2Call(socket, "/runtime.v1.RuntimeService/Status", grpcMessage(new Uint8Array(0)), { session }));
    const third = await other[2]!.answer;
    expect(third.grpcStatus).toBe("8");
    expect(third.grpcMessage).toContain("too many calls in flight");
    hog.close();
    await hog.closed;
    for (const o of other) o.cancel();
    session.close();
    const reader = createCriClient(`unix://${socket}`, { timeoutMs: 5_000 });
    const answers = await Promise.all(Array.from({ length: 4 }, () => reader.runtime.version({})));
    expect(answers.length).toBe(4);
    reader.close();
    await s.close(100);
  });
});
