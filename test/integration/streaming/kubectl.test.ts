/**
 * skiff's streaming server against kubectl (client-go: its SPDY executor and
 * port-forwarder over moby/spdystream, and its WebSocket executor and tunnelled
 * port-forward), the way a node serves it: kubectl talks to an API server (played here:
 * discovery documents, a Pod), which, like the kubelet, asks the runtime for a URL (the
 * CRI Exec / PortForward RPC over grpc-js) and proxies kubectl's upgrade request to it
 * byte for byte. So every byte kubectl sends and reads is the compiled daemon's.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseRequestHead, readHead } from "../../../src/streaming/http-head.ts";
import { isRoot } from "../harness.ts";
import { type StreamEnv, startStreamEnv } from "./stream-fixtures.ts";
import { DISCOVERY } from "../../support/kube-api-docs.ts";

const KUBECTL = process.env.KUBECTL_BIN ?? Bun.which("kubectl");

let env: StreamEnv;
let api: net.Server;
let apiPort = 0;
let home: string;
const ECHO = 22000 + (process.pid % 20000);
let echoServer: ReturnType<typeof Bun.spawn> | undefined;

/** The streaming URL for a kubectl request, from the CRI, as the kubelet gets it. */
async function urlFor(pathname: string, q: URLSearchParams): Promise<string> {
  const flag = (k: string) => q.get(k) === "true" || q.get(k) === "1";
  if (pathname.endsWith("/exec")) {
    const r = await env.call("Exec", { container_id: env.sleeper, cmd: q.getAll("command"), stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr"), tty: flag("tty") });
    return r.url;
  }
  const ports = [...q.getAll("ports"), ...q.getAll("port")].flatMap((p) => p.split(",")).filter(Boolean).map(Number);
  return (await env.call("PortForward", { pod_sandbox_id: env.pod, port: ports })).url;
}

/** One API server connection: a discovery document, or an upgrade proxied to the runtime's URL. */
async function serveApi(sock: net.Socket): Promise<void> {
  sock.on("error", () => {});
  const head = await readHead(sock, 10_000);
  const req = parseRequestHead(head.text);
  const doc = DISCOVERY[req.path];
  if (doc) {
    const body = JSON.stringify(doc);
    sock.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    return;
  }
  const target = new URL(await urlFor(req.path, req.query));
  const upstream = net.connect(Number(target.port), target.hostname);
  upstream.on("error", () => sock.destroy());
  const lines = head.text.split("\r\n");
  lines[0] = `${req.method} ${target.pathname} HTTP/1.1`;
  const forwarded = lines.map((l) => (/^host:/i.test(l) ? `Host: ${target.host}` : l));
  upstream.write(`${forwarded.join("\r\n")}\r\n\r\n`);
  if (head.rest.length > 0) upstream.write(head.rest);
  upstream.pipe(sock);
  sock.pipe(upstream);
  sock.resume();
}

describe.skipIf(!isRoot || !KUBECTL)("kubectl through a kubelet-style proxy to the compiled daemon's streaming server", () => {
  beforeAll(async () => {
    env = await startStreamEnv();
    const pin = path.join(env.d.state, "ns", "net", env.pod);
    const script = `require("node:net").createServer((s) => s.pipe(s)).listen(${ECHO}, "127.0.0.1")`;
    echoServer = Bun.spawn(["nsenter", `--net=${pin}`, process.execPath, "-e", script], { stdout: "ignore", stderr: "inherit" });
    api = net.createServer((s) => void serveApi(s).catch(() => s.destroy()));
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    apiPort = (api.address() as net.AddressInfo).port;
    home = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-kubectl-"));
  }, 120_000);
  afterAll(async () => {
    echoServer?.kill();
    api?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
    await env?.close();
  }, 60_000);

  for (const transport of ["spdy", "websocket"] as const) {
    /** kubectl 1.32 speaks WebSocket first; the variables make it speak SPDY. */
    const kubectl = (args: string[], stdin?: Uint8Array) =>
      Bun.spawn([KUBECTL as string, "--server", `http://127.0.0.1:${apiPort}`, "--cache-dir", path.join(home, "cache"), ...args], {
        stdin: stdin ?? "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: process.env.PATH ?? "", HOME: home, ...(transport === "spdy" ? { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false", KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" } : {}) },
      });
    const run = async (args: string[], stdin?: Uint8Array) => {
      const p = kubectl(args, stdin);
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).arrayBuffer(), new Response(p.stderr).text(), p.exited]);
      return { stdout: Buffer.from(stdout), stderr, code };
    };

    /** What the daemon logged about the upgrades it served since `mark`. */
    const upgradesSince = (mark: number) => env.d.output().slice(mark).match(/streaming (exec|portforward): .*/g) ?? [];
    const SPOKE = transport === "spdy" ? { exec: 'exec: SPDY/3.1 "v4.channel.k8s.io"', portforward: 'portforward: SPDY/3.1 "portforward.k8s.io"' } : { exec: 'exec: websocket "v5.channel.k8s.io"', portforward: 'portforward: websocket "SPDY/3.1+portforward.k8s.io"' };

    test(`${transport}: kubectl exec gets the output, and the exit code from the Status`, async () => {
      const mark = env.d.output().length;
      const ok = await run(["exec", "p", "--", "echo", "hello", "world"]);
      expect([ok.stdout.toString(), ok.stderr, ok.code]).toEqual(["hello world\n", "", 0]);
      expect(upgradesSince(mark).join("\n")).toContain(SPOKE.exec);
      const three = await run(["exec", "p", "--", "sh", "-c", "echo bye >&2; exit 3"]);
      expect(three.stderr).toContain("bye\n");
      expect(three.stderr).toContain("command terminated with exit code 3");
      expect(three.code).toBe(3);
    }, 30_000);

    test(`${transport}: kubectl exec -i sends 10 MiB of stdin through cat byte-identical`, async () => {
      const data = randomBytes(10 * 1024 * 1024);
      const r = await run(["exec", "-i", "p", "--", "cat"], data);
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBe(data.length);
      expect(createHash("sha256").update(r.stdout).digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    }, 60_000);

    test(`${transport}: kubectl port-forward carries 32 MiB to the pod's port and back`, async () => {
      const mark = env.d.output().length;
      const p = kubectl(["port-forward", "p", `:${ECHO}`]);
      try {
        const reader = p.stdout.getReader();
        let out = "";
        while (!/Forwarding from 127\.0\.0\.1:(\d+)/.test(out)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`kubectl port-forward ended: ${await new Response(p.stderr).text()}`);
          out += new TextDecoder().decode(value);
        }
        const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
        const data = randomBytes(32 * 1024 * 1024);
        const sock = net.connect(port, "127.0.0.1");
        const hash = createHash("sha256");
        let got = 0;
        await new Promise<void>((resolve, reject) => {
          sock.on("data", (c: Buffer) => {
            hash.update(c);
            got += c.length;
            if (got >= data.length) resolve();
          });
          sock.on("error", reject);
          sock.write(data);
        });
        expect(hash.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
        expect(upgradesSince(mark).join("\n")).toContain(SPOKE.portforward);
        sock.destroy();
      } finally {
        p.kill();
        await p.exited;
      }
    }, 60_000);
  }
});
