/** The HTTP/2 gRPC server on a real unix socket in a temp dir: listen, drain, cut off. */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createLogger } from "../../../src/logger.ts";
import { createCriClient } from "../../../src/cli/cri-client.ts";
import type { RuntimeService } from "../../../src/gen/runtime/v1/api_pb.ts";
import { RuntimeServiceRpc } from "../../../src/wire/gen/runtime-v1.ts";
import { createGrpcServer } from "../../../src/server/grpc-server.ts";
import { createErrorInterceptor } from "../../../src/server/interceptors.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-grpc-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/**
 * A server whose Version takes `delayMs` to answer. `kind` "npipe" makes it listen through
 * node:net, as it does on a Windows named pipe (here on a unix socket path).
 */
async function slowServer(delayMs: number, clientTimeoutMs = 20_000, kind: "unix" | "npipe" = "unix") {
  const socket = path.join(dir, `s${n++}/skiff.sock`);
  const server = createGrpcServer({
    routes: (r) =>
      r.service<typeof RuntimeService>(RuntimeServiceRpc, {
        async version() {
          await Bun.sleep(delayMs);
          return { runtimeName: "slow" };
        },
      }),
    interceptors: [createErrorInterceptor()],
    readMaxBytes: 1024 * 1024,
    writeMaxBytes: 1024 * 1024,
    log: createLogger({ level: "silent" }),
  });
  if (kind === "npipe") fs.mkdirSync(path.dirname(socket), { recursive: true });
  await server.listen({ kind, path: socket }, { mode: 0o600, group: "" });
  return { server, socket, client: createCriClient(`unix://${socket}`, { timeoutMs: clientTimeoutMs }) };
}

describe("grpc server", () => {
  test("creates the socket with the given mode", async () => {
    const { server, socket, client } = await slowServer(0);
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
    expect((await client.runtime.version({})).runtimeName).toBe("slow");
    client.close();
    await server.close(100);
    expect(fs.existsSync(socket)).toBe(false);
  });

  test("through node:net (the Windows named-pipe listener) 50 calls at once are served the same", async () => {
    const { server, client } = await slowServer(0, 20_000, "npipe");
    const answers = await Promise.all(Array.from({ length: 50 }, () => client.runtime.version({})));
    expect(answers.every((a) => a.runtimeName === "slow")).toBe(true);
    client.close();
    await server.close(100);
  });

  test("a connection that failed while its client reads nothing counts until its socket is closed, at most 5 s later", async () => {
    const { server, socket, client } = await slowServer(0);
    client.close();
    const sock = net.connect(socket);
    sock.pause(); // never reads: the answers it asks for pile up
    const frame = (type: number, flags: number, id: number, payload = Buffer.alloc(0)) => {
      const b = Buffer.alloc(9 + payload.length);
      b.writeUIntBE(payload.length, 0, 3);
      b[3] = type;
      b[4] = flags;
      b.writeUInt32BE(id, 5);
      payload.copy(b, 9);
      return b;
    };
    const pings = Buffer.concat(Array.from({ length: 30_000 }, () => frame(6, 0, 0, Buffer.alloc(8))));
    sock.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(4, 0, 0), pings]));
    await Bun.sleep(500);
    sock.write(frame(1, 4, 2, Buffer.from([0x83]))); // HEADERS on an even stream: a connection error
    await Bun.sleep(1000);
    expect(server.sessionCount).toBe(1);
    const deadline = Date.now() + 8_000;
    while (server.sessionCount > 0 && Date.now() < deadline) await Bun.sleep(100);
    expect(server.sessionCount).toBe(0);
    sock.destroy();
    await server.close(100);
  }, 15_000);

  test("a call in flight when shutdown starts finishes within the grace period", async () => {
    const { server, client } = await slowServer(300);
    const call = client.runtime.version({});
    await Bun.sleep(50);
    const started = performance.now();
    await server.close(5_000);
    expect((await call).runtimeName).toBe("slow");
    expect(performance.now() - started).toBeLessThan(4_000);
    client.close();
  });

  test("a call still running when the grace period ends is cut off, and close returns", async () => {
    // connect-node's client under Bun only notices the cut at its deadline, so keep that short.
    const { server, client } = await slowServer(10_000, 1_500);
    const call = client.runtime.version({}).then(() => undefined, (e) => ConnectError.from(e));
    await Bun.sleep(50);
    const started = performance.now();
    await server.close(200);
    expect(performance.now() - started).toBeLessThan(3_000);
    const err = await call;
    expect(err).toBeInstanceOf(ConnectError);
    expect([Code.Unavailable, Code.Canceled, Code.Internal, Code.Unknown, Code.DeadlineExceeded]).toContain(err?.code as Code);
    client.close();
  });

  test("after close, new connections are refused", async () => {
    const { server, socket, client } = await slowServer(0);
    await server.close(100);
    client.close();
    const again = createCriClient(`unix://${socket}`, { timeoutMs: 1000 });
    const err = await again.runtime.version({}).then(() => undefined, (e) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect(err?.rawMessage).toMatch(/ENOENT|connect/i);
    again.close();
  });
});
