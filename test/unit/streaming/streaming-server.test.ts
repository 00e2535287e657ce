/**
 * The streaming server in-process, over real loopback sockets, with a fake back end:
 * routing and tokens, the WebSocket protocols against skiff's own client and against
 * @kubernetes/client-node, and bad input that must end one connection and no more.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { Readable } from "node:stream";
import { type StreamingServer, startStreamingServer } from "../../../src/streaming/streaming-server.ts";
import { runRemoteCommand } from "../../../src/streaming/client/remote-command-client.ts";
import { dialSpdy, dialWebSocket } from "../../../src/streaming/client/dial-transports.ts";
import { startPortForward } from "../../../src/streaming/client/port-forward-client.ts";
import { encodeFrame, OPCODE } from "../../../src/streaming/websocket/ws-frame.ts";
import { acceptKey } from "../../../src/streaming/websocket/ws-handshake.ts";
import { type FakeBackend, fakeBackend } from "./fake-backend.ts";
import { selfSignedCertificate } from "../../../src/streaming/tls-cert.ts";
import { spdySessionFactory } from "../../../src/streaming/spdy-factory.ts";

const TRANSPORTS = spdySessionFactory() ? (["spdy", "websocket"] as const) : (["websocket"] as const);
import { clientNodeExec, clientNodePortForward, collector } from "../../integration/streaming/stream-fixtures.ts";

const quiet = { info() {}, warn() {}, debug() {} };
let server: StreamingServer;
let backend: FakeBackend;
let echo: net.Server;
let echoPort = 0;

const exec = (cmd: string[], o: Partial<{ stdin: boolean; tty: boolean; stderr: boolean }> = {}) =>
  server.urlFor({ kind: "exec", containerId: "c1", cmd, tty: o.tty ?? false, stdin: o.stdin ?? false, stdout: true, stderr: o.stderr ?? !o.tty });

function sink() {
  const parts: Uint8Array[] = [];
  return { parts, text: () => Buffer.concat(parts).toString(), write: async (c: Uint8Array) => void parts.push(c), end: async () => {} };
}

/** Sends a raw request head and returns the status line's code. */
async function rawStatus(url: string, head: string): Promise<number> {
  const u = new URL(url);
  const s = net.connect(Number(u.port), u.hostname);
  s.write(head.replace("{path}", u.pathname));
  const text = await new Promise<string>((resolve) => {
    let buf = "";
    s.on("data", (d) => (buf += d));
    s.on("close", () => resolve(buf));
  });
  return Number(text.split(" ")[1]);
}

/** Opens a WebSocket by hand, so the test can then send anything at all. */
async function rawWebSocket(url: string, protocol: string): Promise<{ socket: net.Socket; closed: Promise<Buffer> }> {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  const key = Buffer.alloc(16, 1).toString("base64");
  socket.write(`GET ${u.pathname} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  const closed = new Promise<Buffer>((resolve) => socket.on("close", () => resolve(Buffer.concat(chunks))));
  await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  expect(Buffer.concat(chunks).toString()).toContain(acceptKey(key));
  return { socket, closed };
}

/** The close code in the last close frame the server sent. */
function closeCode(bytes: Buffer): number {
  const at = bytes.lastIndexOf(Buffer.from([0x88]));
  return at >= 0 ? bytes.readUInt16BE(at + 2) : -1;
}

beforeAll(async () => {
  backend = fakeBackend();
  server = await startStreamingServer({ address: "127.0.0.1:0", idleTimeoutMs: 0, tokenTtlMs: 60_000, backend, log: quiet, createSpdySession: spdySessionFactory() });
  echo = net.createServer((s) => s.pipe(s)).listen(0, "127.0.0.1");
  await new Promise((r) => echo.once("listening", r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await server?.stop();
  echo?.close();
});

describe("tokens and routing", () => {
  test("a used token is 404", async () => {
    const url = exec(["exit", "0"]);
    expect(await runRemoteCommand(url, "websocket", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).toBe(0);
    expect(await rawStatus(url, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")).toBe(404);
  });
  test("an unknown token, a token on the wrong verb and a bad path are 404", async () => {
    const url = exec(["exit", "0"]);
    expect(await rawStatus(url.replace(/[^/]+$/, "nosuchtoken"), "GET {path} HTTP/1.1\r\n\r\n")).toBe(404);
    expect(await rawStatus(url.replace("/exec/", "/attach/"), "GET {path} HTTP/1.1\r\n\r\n")).toBe(404);
    expect(await rawStatus(`${server.baseUrl}/exec`, "GET {path} HTTP/1.1\r\n\r\n")).toBe(404);
  });
  test("an expired token is 404", async () => {
    const s = await startStreamingServer({ address: "127.0.0.1:0", idleTimeoutMs: 0, tokenTtlMs: 1, backend, log: quiet });
    const url = s.urlFor({ kind: "exec", containerId: "c", cmd: ["exit", "0"], tty: false, stdin: false, stdout: true, stderr: false });
    await Bun.sleep(20);
    expect(await rawStatus(url, "GET {path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")).toBe(404);
    await s.stop();
  });
  test("a request that asks for no upgrade is 400", async () => expect(await rawStatus(exec(["exit", "0"]), "GET {path} HTTP/1.1\r\n\r\n")).toBe(400));
  test("a WebSocket with no protocol in common is 400", async () =>
    expect(await rawStatus(exec(["exit", "0"]), "GET {path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AQEBAQEBAQEBAQEBAQEBAQ==\r\nSec-WebSocket-Protocol: v9.channel.k8s.io\r\n\r\n")).toBe(400));
  test("a SPDY upgrade without X-Stream-Protocol-Version is 400, with none in common 403", async () => {
    expect(await rawStatus(exec(["exit", "0"]), "POST {path} HTTP/1.1\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n")).toBe(400);
    expect(await rawStatus(exec(["exit", "0"]), "POST {path} HTTP/1.1\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\nX-Stream-Protocol-Version: v9.channel.k8s.io\r\n\r\n")).toBe(403);
  });
  test("a request head over 16 KiB is refused", async () => expect(await rawStatus(exec(["exit", "0"]), `GET {path} HTTP/1.1\r\nX: ${"a".repeat(17_000)}\r\n\r\n`)).toBe(431));
});

describe.each(TRANSPORTS)("exec with skiff's client over %s", (transport) => {
  test("stdout, stderr and the exit code arrive", async () => {
    const out = sink();
    const err = sink();
    expect(await runRemoteCommand(exec(["exit", "3"]), transport, { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: out, stderr: err })).toBe(3);
    expect([out.text(), err.text()]).toEqual(["out\n", "err\n"]);
  });
  test("the end of stdin reaches the process; 2 MiB come back intact", async () => {
    const data = Buffer.alloc(2 << 20).map((_, i) => (i * 7) % 256);
    const out = sink();
    expect(await runRemoteCommand(exec(["echo-stdin"], { stdin: true, stderr: false }), transport, { stdin: true, stdout: true, stderr: false, tty: false }, { stdin: new Blob([data]).stream(), stdout: out })).toBe(0);
    expect(Buffer.compare(Buffer.concat(out.parts), data)).toBe(0);
  });
  test("terminal sizes reach the back end", async () => {
    const before = backend.sizes.length;
    async function* sizes() {
      yield { width: 100, height: 30 };
      yield { width: 120, height: 40 };
    }
    await runRemoteCommand(exec(["wait-resize", "200"], { tty: true }), transport, { stdin: false, stdout: true, stderr: false, tty: true }, { stdout: sink(), resize: sizes() });
    expect(backend.sizes.slice(before)).toEqual([{ width: 100, height: 30 }, { width: 120, height: 40 }]);
  });
  test("an error of the back end comes back as an error status", async () => {
    await expect(runRemoteCommand(exec(["nosuchcmd"]), transport, { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).rejects.toThrow('executable file "nosuchcmd" not found');
  });
  test("port-forward: 8 MiB each way through a local port, byte for byte", async () => {
    const fwd = await startPortForward(transport, async (ports) => server.urlFor({ kind: "portforward", podSandboxId: "p1", ports }), [{ address: "127.0.0.1", local: 0, remote: echoPort }], () => {});
    const data = Buffer.alloc(8 << 20).map((_, i) => (i * 13) % 256);
    const s = net.connect(fwd.ports[0]!.local, "127.0.0.1");
    const got: Buffer[] = [];
    let n = 0;
    await new Promise<void>((resolve) => {
      s.on("data", (d: Buffer) => {
        got.push(d);
        n += d.length;
        if (n >= data.length) resolve();
      });
      s.write(data);
    });
    s.destroy();
    fwd.stop();
    expect(Buffer.compare(Buffer.concat(got), data)).toBe(0);
  });
});

describe("exec over WebSocket", () => {
  test("client-node gets the NonZeroExitCode status", async () => {
    const out = collector();
    const status = await new Promise<any>((resolve, reject) => clientNodeExec(exec(["exit", "7"])).exec("ns", "pod", "c", ["x"], out, collector(), null, false, resolve).catch(reject));
    expect(status.reason).toBe("NonZeroExitCode");
    expect(status.details.causes).toEqual([{ reason: "ExitCode", message: "7" }]);
    expect(out.text()).toBe("out\n");
  });
  test("client-node's stdin reaches the process", async () => {
    const out = collector();
    const done = new Promise<any>((resolve, reject) => clientNodeExec(exec(["echo-stdin"], { stdin: true })).exec("ns", "pod", "c", ["x"], out, null, Readable.from([Buffer.from("hello\n")]), false, resolve).catch(reject));
    expect((await done).status).toBe("Success");
    expect(out.text()).toBe("hello\n");
  });
});

describe("bad input ends that connection only", () => {
  const cases: { desc: string; frame: Buffer; code: number }[] = [
    { desc: "an unmasked frame", frame: encodeFrame(OPCODE.binary, Buffer.from([0, 1]), false), code: 1002 },
    { desc: "a frame that claims 256 MiB", frame: Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 2, 3, 4]), code: 1009 },
    { desc: "a message on channel 9", frame: encodeFrame(OPCODE.binary, Buffer.from([9, 1]), true), code: 1002 },
    { desc: "a close signal for a channel that does not exist", frame: encodeFrame(OPCODE.binary, Buffer.from([255, 7]), true), code: 1002 },
    { desc: "reserved bits", frame: Buffer.from([0xf2, 0x80, 0, 0, 0, 0]), code: 1002 },
  ];
  for (const tc of cases) {
    test(`${tc.desc}: close code ${tc.code}, the process is told, and the server goes on`, async () => {
      const aborted = backend.aborted;
      const { socket, closed } = await rawWebSocket(exec(["echo-stdin"], { stdin: true }), "v5.channel.k8s.io");
      socket.write(tc.frame);
      expect(closeCode(await closed)).toBe(tc.code);
      await Bun.sleep(20);
      expect(backend.aborted).toBe(aborted + 1);
      expect(await runRemoteCommand(exec(["exit", "0"]), "websocket", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).toBe(0);
    });
  }
  test("bad base64 on a base64 channel ends the connection", async () => {
    const { socket, closed } = await rawWebSocket(exec(["echo-stdin"], { stdin: true }), "base64.channel.k8s.io");
    socket.write(encodeFrame(OPCODE.text, Buffer.from("0!!notbase64"), true));
    expect(closeCode(await closed)).toBe(1002);
  });
  test("a client that stops reading holds the process back: skiff buffers a bounded amount", async () => {
    const { socket } = await rawWebSocket(exec(["flood"]), "v4.channel.k8s.io");
    socket.pause();
    await Bun.sleep(300);
    const stalled = backend.floodBytes;
    await Bun.sleep(300);
    expect(backend.floodBytes).toBe(stalled);
    // The socket buffers of both ends plus one chunk in flight, no more.
    expect(stalled).toBeLessThan(16 << 20);
    const aborted = backend.aborted;
    socket.destroy();
    await Bun.sleep(50);
    expect(backend.aborted).toBe(aborted + 1);
  });
});

describe.skipIf(!TRANSPORTS.includes("spdy" as never))("bad input over SPDY ends that connection or stream only", () => {
  test("streams of an unknown type, or a second of a kind, are refused; the command still runs", async () => {
    const { session } = await dialSpdy(exec(["exit", "0"]), ["v4.channel.k8s.io"]);
    const refused = await session.open({ streamtype: "bogus" }).then(
      (st) => st.readable.getReader().read().then(() => "open", () => "reset"),
      () => "reset",
    );
    expect(refused).toBe("reset");
    const error = await session.open({ streamtype: "error" });
    const stdout = await session.open({ streamtype: "stdout" });
    const second = await session.open({ streamtype: "stdout" }).then(
      (st) => st.readable.getReader().read().then(() => "open", () => "reset"),
      () => "reset",
    );
    expect(second).toBe("reset");
    const stderr = await session.open({ streamtype: "stderr" });
    const text = async (st: { readable: ReadableStream<Uint8Array> }) => {
      const parts: Uint8Array[] = [];
      for await (const c of st.readable) parts.push(c);
      return Buffer.concat(parts).toString();
    };
    expect(await Promise.all([text(stdout), text(stderr), text(error)])).toEqual(["out\n", "err\n", '{"metadata":{},"status":"Success"}']);
    await session.close({ force: true });
  });
  test("bytes that are not SPDY end the connection, and the server goes on", async () => {
    const u = new URL(exec(["echo-stdin"], { stdin: true }));
    const s = net.connect(Number(u.port), u.hostname);
    s.write(`POST ${u.pathname} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`);
    // a SYN_STREAM of SPDY version 2
    s.write(Buffer.from([0x80, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]));
    s.resume(); // read on, to see the server's end
    await new Promise<void>((resolve) => s.on("close", () => resolve()).on("error", () => {}));
    expect(await runRemoteCommand(exec(["exit", "0"]), "spdy", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).toBe(0);
  });
  test("a client that never opens its streams is dropped after the creation timeout's share of work", async () => {
    // (The 30 s timeout itself is the kubelet's; here: the session ends when the client leaves.)
    const { session } = await dialSpdy(exec(["exit", "0"]), ["v4.channel.k8s.io"]);
    await session.open({ streamtype: "error" });
    await session.close({ force: true });
    expect(await runRemoteCommand(exec(["exit", "1"]), "spdy", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).toBe(1);
  });
  test("a client that stops reading holds the process back: SPDY windows bound what skiff holds", async () => {
    const { session } = await dialSpdy(exec(["flood"], { stderr: false }), ["v4.channel.k8s.io"]);
    await session.open({ streamtype: "error" });
    await session.open({ streamtype: "stdout" });
    await Bun.sleep(300);
    const stalled = backend.floodBytes;
    await Bun.sleep(300);
    expect(backend.floodBytes).toBe(stalled);
    expect(stalled).toBeLessThan(16 << 20);
    const ended = backend.floodsEnded;
    await session.close({ force: true });
    for (let i = 0; i < 100 && backend.floodsEnded === ended; i++) await Bun.sleep(20);
    expect(backend.floodsEnded).toBe(ended + 1);
  });
});

describe("TLS", () => {
  test("with a self-signed certificate the URLs are https and exec works over them", async () => {
    const s = await startStreamingServer({ address: "127.0.0.1:0", idleTimeoutMs: 0, tokenTtlMs: 60_000, backend, log: quiet, tls: await selfSignedCertificate() });
    try {
      const url = s.urlFor({ kind: "exec", containerId: "c", cmd: ["exit", "2"], tty: false, stdin: false, stdout: true, stderr: true });
      expect(url.startsWith("https://127.0.0.1:")).toBe(true);
      const out = sink();
      expect(await runRemoteCommand(url, "websocket", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: out, stderr: sink() })).toBe(2);
      expect(out.text()).toBe("out\n");
    } finally {
      await s.stop();
    }
  });
});

describe("idle timeout", () => {
  test("a connection with no traffic for idle_timeout is closed and its process told", async () => {
    const s = await startStreamingServer({ address: "127.0.0.1:0", idleTimeoutMs: 150, tokenTtlMs: 60_000, backend, log: quiet });
    try {
      const aborted = backend.aborted;
      const url = s.urlFor({ kind: "exec", containerId: "c", cmd: ["wait-resize", "5000"], tty: false, stdin: false, stdout: true, stderr: false });
      const started = Date.now();
      const { closed } = await rawWebSocket(url, "v4.channel.k8s.io");
      await closed;
      expect(Date.now() - started).toBeLessThan(4000);
      await Bun.sleep(20);
      expect(backend.aborted).toBe(aborted + 1);
    } finally {
      await s.stop();
    }
  });
});

describe("port-forward over WebSocket", () => {
  const pf = (ports: number[]) => server.urlFor({ kind: "portforward", podSandboxId: "p1", ports });
  test("client-node's port-forward reaches the port", async () => {
    const out = collector();
    const input = new Readable({ read() {} });
    const ws: any = await clientNodePortForward(pf([echoPort])).portForward("ns", "pod", [echoPort], out, collector(), input);
    input.push(Buffer.from("ping\n"));
    for (let i = 0; i < 100 && out.text() !== "ping\n"; i++) await Bun.sleep(10);
    ws.close();
    expect(out.text()).toBe("ping\n");
  });
  test("a refused port is reported on the error channel", async () => {
    const dead = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => dead.once("listening", r));
    const port = (dead.address() as net.AddressInfo).port;
    dead.close();
    const ws = await dialWebSocket(pf([port]), ["v4.channel.k8s.io"]);
    const errors: string[] = [];
    ws.start((m) => {
      // the first message on the error channel is the port (two bytes)
      if (m.data[0] === 1 && m.data.length > 3) errors.push(m.data.subarray(1).toString());
    });
    await ws.closed;
    expect(errors.join("")).toContain(`error forwarding port ${port} to pod p1`);
    expect(errors.join("")).toContain("connection refused");
  });
});
