/**
 * skiff's SPDY/3.1 server side against a client that is not ours: kubectl (Go:
 * client-go's SPDY executor and port-forwarder over moby/spdystream). kubectl talks to
 * an API server, so the test plays one: a few discovery documents and a Pod, then the
 * exec and port-forward upgrades, served by a server session of ours running a toy
 * remotecommand v4 (echo, exit, cat) and an echoing port-forward. Needs no root.
 * kubectl comes from Debian's kubernetes-client (.ci/run installs it where none is).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { headerHas, parseRequestHead, readHead } from "../../../src/streaming/http-head.ts";
import { type SpdySession, type SpdyStream, createSpdySession, negotiate, spdyUpgradeResponse } from "../../../src/streaming/spdy/index.ts";
import { DISCOVERY } from "../../support/kube-api-docs.ts";
import { echoRoundTrip, forwardingPort, KUBECTL, kubectlCommand } from "./kube-api-proxy.ts";

type ApiServer = { port: number; sessions: SpdySession[]; close(): void };


/** A toy remotecommand v4 server: waits for the streams the query asks for, runs one of three commands, sends the v4 Status. */
async function serveExec(session: SpdySession, query: URLSearchParams): Promise<void> {
  const want = ["error", ...["stdin", "stdout", "stderr"].filter((k) => query.get(k) === "true" || query.get(k) === "1")];
  const streams = new Map<string, SpdyStream>();
  await new Promise<void>((resolve) =>
    session.onStream((s) => {
      s.reply();
      streams.set(s.headers.streamtype ?? "", s);
      if (want.every((k) => streams.has(k))) resolve();
    }),
  );
  const [cmd, ...args] = query.getAll("command");
  let code = 0;
  if (cmd === "echo") await streams.get("stdout")?.write(Buffer.from(`${args.join(" ")}\n`));
  else if (cmd === "exit") {
    await streams.get("stderr")?.write(Buffer.from("bye\n"));
    code = Number(args[0]);
  } else if (cmd === "cat") {
    const out = streams.get("stdout") as SpdyStream;
    for await (const chunk of (streams.get("stdin") as SpdyStream).readable) await out.write(chunk);
  }
  const status =
    code === 0
      ? { metadata: {}, status: "Success" }
      : { metadata: {}, status: "Failure", message: `command terminated with non-zero exit code: ${code}`, reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: String(code) }] } };
  const error = streams.get("error") as SpdyStream;
  await error.write(Buffer.from(JSON.stringify(status)));
  for (const s of streams.values()) await s.end().catch(() => {});
  await session.close(); // once kubectl has closed or reset its side of every stream
}

/** Port-forward: pairs each request's error and data streams and echoes the data stream. */
function servePortForward(session: SpdySession): void {
  session.onStream(async (s) => {
    s.reply();
    if (s.headers.streamtype !== "data") return;
    try {
      for await (const chunk of s.readable) await s.write(chunk);
      await s.end();
    } catch {
      // kubectl went away (the test kills it when done)
    }
  });
}

async function startApiServer(): Promise<ApiServer> {
  const sessions: SpdySession[] = [];
  const server = net.createServer(async (sock) => {
    sock.on("error", () => {});
    const head = await readHead(sock, 10_000);
    const req = parseRequestHead(head.text);
    const doc = DISCOVERY[req.path];
    if (req.method === "GET" && doc) {
      const body = JSON.stringify(doc);
      sock.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const isExec = req.path.endsWith("/exec");
    const supported = isExec ? ["v4.channel.k8s.io"] : ["portforward.k8s.io"];
    const chosen = negotiate(req.headers.get("x-stream-protocol-version") ?? [], supported);
    const upgrade = headerHas(req.headers, "upgrade", "spdy/3.1");
    if (!upgrade || !chosen) {
      sock.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    sock.write(spdyUpgradeResponse(chosen));
    const session = createSpdySession(sock, "server", {}, head.rest);
    sock.resume();
    sessions.push(session);
    if (isExec) serveExec(session, req.query).catch((err) => console.error(`exec handler: ${err}`));
    else servePortForward(session);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, sessions, close: () => server.close() };
}

describe("SPDY/3.1 server sessions against kubectl (client-go over spdystream)", () => {
  let api: ApiServer;
  let home: string;
  beforeAll(async () => {
    if (!KUBECTL) throw new Error("kubectl not found: apt-get install -y kubernetes-client (or set $KUBECTL_BIN)");
    api = await startApiServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-kubectl-"));
  });
  afterAll(() => {
    api?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  /** kubectl against the fake API server, forced onto SPDY (newer kubectls try WebSocket first). */
  const kubectl = (args: string[], stdin?: Uint8Array) => {
    const { argv, env } = kubectlCommand(api.port, home, args, "spdy");
    return Bun.spawn(argv, { stdin: stdin ?? "ignore", stdout: "pipe", stderr: "pipe", env });
  };

  async function run(args: string[], stdin?: Uint8Array) {
    const p = kubectl(args, stdin);
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).arrayBuffer(), new Response(p.stderr).text(), p.exited]);
    return { stdout: Buffer.from(stdout), stderr, code };
  }

  test("exec: kubectl gets the command's output and exits 0, and the session ends cleanly", async () => {
    const before = api.sessions.length;
    const r = await run(["exec", "p", "--", "echo", "hello", "world"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.toString()).toBe("hello world\n");
    expect(r.code).toBe(0);
    const session = api.sessions[before] as SpdySession;
    expect(await session.closed).toBeUndefined();
    expect(session.streamCount).toBe(0);
  }, 30_000);

  test("exec: a non-zero exit in the v4 Status becomes kubectl's exit code", async () => {
    const r = await run(["exec", "p", "--", "exit", "3"]);
    expect(r.stderr).toContain("bye\n");
    expect(r.stderr).toContain("command terminated with exit code 3");
    expect(r.code).toBe(3);
  }, 30_000);

  test("exec -i: 10 MiB of stdin goes through cat and comes back byte-identical", async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const r = await run(["exec", "-i", "p", "--", "cat"], data);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(createHash("sha256").update(r.stdout).digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
  }, 60_000);

  test("port-forward: 32 MiB through kubectl's local port comes back from our echo byte-identical", async () => {
    const p = kubectl(["port-forward", "p", ":8080"]);
    try {
      const port = await forwardingPort(p);
      const data = randomBytes(32 * 1024 * 1024);
      const back = await echoRoundTrip(port, data);
      expect(back.bytes).toBe(data.length);
      expect(back.sha256).toBe(createHash("sha256").update(data).digest("hex"));
    } finally {
      p.kill();
      await p.exited;
    }
  }, 60_000);
});
