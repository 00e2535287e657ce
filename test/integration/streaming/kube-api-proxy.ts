/**
 * A fake API server for kubectl, shaped the way a node serves `kubectl exec`, `attach` and
 * `port-forward`: discovery documents and pod `p` (test/support/kube-api-docs.ts), and
 * every other request is an upgrade which, like the kubelet, asks the runtime for a URL
 * (the CRI Exec, Attach or PortForward RPC, through `urlFor`) and proxies kubectl's bytes
 * to it unchanged. So every byte kubectl sends and reads is the runtime's streaming server's.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseRequestHead, readHead } from "../../../src/streaming/http-head.ts";
import { DISCOVERY } from "../../support/kube-api-docs.ts";

/** The runtime's streaming URL for a kubectl request to `pathname` (…/exec, …/attach, …/portforward) with its query. */
export type UrlFor = (pathname: string, query: URLSearchParams) => Promise<string>;

export const KUBECTL = process.env.KUBECTL_BIN ?? Bun.which("kubectl");

/** A query flag as kubectl sends it (`stdin=true`). */
export const queryFlag = (q: URLSearchParams, k: string) => q.get(k) === "true" || q.get(k) === "1";

async function serve(sock: net.Socket, urlFor: UrlFor): Promise<void> {
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

export type KubeApiProxy = {
  /** The command line and environment of kubectl with `args`, for running it under another program. */
  command(args: string[], transport: "spdy" | "websocket"): { argv: string[]; env: Record<string, string> };
  /** kubectl with `args`, talking to this server over `transport` (kubectl 1.32 speaks WebSocket unless told not to). */
  spawn(args: string[], transport: "spdy" | "websocket", stdin?: Uint8Array | "pipe"): Bun.Subprocess<any, "pipe", "pipe">;
  /** kubectl run to its end: stdout, stderr and exit code. */
  run(args: string[], transport: "spdy" | "websocket", stdin?: Uint8Array): Promise<{ stdout: Buffer; stderr: string; code: number }>;
  close(): void;
};

/**
 * kubectl with `args` against the API server on 127.0.0.1:`port`, its HOME and cache in
 * `home`; on `spdy`, kept off WebSocket (kubectl 1.32 tries WebSocket first).
 */
export function kubectlCommand(port: number, home: string, args: string[], transport: "spdy" | "websocket"): { argv: string[]; env: Record<string, string> } {
  return {
    argv: [KUBECTL as string, "--server", `http://127.0.0.1:${port}`, "--cache-dir", path.join(home, "cache"), ...args],
    env: { PATH: process.env.PATH ?? "", HOME: home, ...(transport === "spdy" ? { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false", KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" } : {}) },
  };
}

export async function startKubeApiProxy(urlFor: UrlFor): Promise<KubeApiProxy> {
  const server = net.createServer((s) => void serve(s, urlFor).catch(() => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-kubectl-"));
  const proxy: KubeApiProxy = {
    command: (args, transport) => kubectlCommand(port, home, args, transport),
    spawn(args, transport, stdin) {
      const { argv, env } = proxy.command(args, transport);
      return Bun.spawn(argv, { stdin: stdin ?? "ignore", stdout: "pipe", stderr: "pipe", env });
    },
    async run(args, transport, stdin) {
      const p = proxy.spawn(args, transport, stdin);
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).arrayBuffer(), new Response(p.stderr).text(), p.exited]);
      return { stdout: Buffer.from(stdout), stderr, code };
    },
    close() {
      server.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return proxy;
}

/**
 * Starts `kubectl port-forward p [LOCAL]:REMOTE` (no `local`: kubectl picks a free port) and
 * resolves once it says it forwards, with the local port it listens on.
 */
export async function kubectlPortForward(proxy: KubeApiProxy, transport: "spdy" | "websocket", remote: number, local?: number) {
  const proc = proxy.spawn(["port-forward", "p", `${local ?? ""}:${remote}`], transport);
  return { proc, port: await forwardingPort(proc) };
}

/** Reads a running `kubectl port-forward`'s stdout until it says which local port it forwards, and returns that port. */
export async function forwardingPort(proc: Bun.Subprocess<any, "pipe", "pipe">): Promise<number> {
  const reader = proc.stdout.getReader();
  let out = "";
  const forwarding = /Forwarding from 127\.0\.0\.1:(\d+)/;
  while (!forwarding.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`kubectl port-forward ended: ${await new Response(proc.stderr).text()}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return Number(forwarding.exec(out)?.[1]);
}

/**
 * Sends `data` to 127.0.0.1:`port` and reads until as many bytes came back (an echo on the
 * far side); returns how many came back and their sha256, to compare with `data`'s.
 */
export async function echoRoundTrip(port: number, data: Uint8Array): Promise<{ bytes: number; sha256: string }> {
  const sock = net.connect(port, "127.0.0.1");
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      sock.on("data", (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
        if (bytes >= data.length) resolve();
      });
      sock.on("error", reject);
      sock.write(data);
    });
  } finally {
    sock.destroy();
  }
  return { bytes, sha256: hash.digest("hex") };
}
