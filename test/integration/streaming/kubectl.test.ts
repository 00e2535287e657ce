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
import * as path from "node:path";
import { isRoot } from "../harness.ts";
import { echoRoundTrip, type KubeApiProxy, KUBECTL, kubectlPortForward, queryFlag, startKubeApiProxy } from "./kube-api-proxy.ts";
import { type StreamEnv, startStreamEnv } from "./stream-fixtures.ts";

let env: StreamEnv;
let api: KubeApiProxy;
const ECHO = 22000 + (process.pid % 20000);
let echoServer: ReturnType<typeof Bun.spawn> | undefined;

/** The streaming URL for a kubectl request, from the CRI, as the kubelet gets it. */
async function urlFor(pathname: string, q: URLSearchParams): Promise<string> {
  const flag = (k: string) => queryFlag(q, k);
  if (pathname.endsWith("/exec")) {
    const r = await env.call("Exec", { container_id: env.sleeper, cmd: q.getAll("command"), stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr"), tty: flag("tty") });
    return r.url;
  }
  const ports = [...q.getAll("ports"), ...q.getAll("port")].flatMap((p) => p.split(",")).filter(Boolean).map(Number);
  return (await env.call("PortForward", { pod_sandbox_id: env.pod, port: ports })).url;
}

describe.skipIf(!isRoot || !KUBECTL)("kubectl through a kubelet-style proxy to the compiled daemon's streaming server", () => {
  beforeAll(async () => {
    env = await startStreamEnv();
    const pin = path.join(env.d.state, "ns", "net", env.pod);
    const script = `require("node:net").createServer((s) => s.pipe(s)).listen(${ECHO}, "127.0.0.1")`;
    echoServer = Bun.spawn(["nsenter", `--net=${pin}`, process.execPath, "-e", script], { stdout: "ignore", stderr: "inherit" });
    api = await startKubeApiProxy(urlFor);
  }, 120_000);
  afterAll(async () => {
    echoServer?.kill();
    api?.close();
    await env?.close();
  }, 60_000);

  for (const transport of ["spdy", "websocket"] as const) {
    const run = (args: string[], stdin?: Uint8Array) => api.run(args, transport, stdin);

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
      const { proc: p, port } = await kubectlPortForward(api, transport, ECHO);
      try {
        const data = randomBytes(32 * 1024 * 1024);
        const back = await echoRoundTrip(port, data);
        expect(back.sha256).toBe(createHash("sha256").update(data).digest("hex"));
        expect(upgradesSince(mark).join("\n")).toContain(SPOKE.portforward);
      } finally {
        p.kill();
        await p.exited;
      }
    }, 60_000);
  }
});
