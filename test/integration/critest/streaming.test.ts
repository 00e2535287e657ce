/**
 * critest's streaming specs (pkg/validate/streaming.go, streaming_linux.go) against the
 * compiled skiff. critest streams with client-go (its SPDY executor and port-forwarder by
 * default, WebSocket with its -websocket-* flags); so do these, as kubectl 1.32, through a
 * kubelet-style proxy (test/integration/streaming/kube-api-proxy.ts) that asks skiff for
 * the URL the way critest does: Exec and Attach with critest's options, PortForward with
 * no ports at all (the client names the port on each stream). README.md maps every spec.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { FileSink } from "bun";
import { isRoot } from "../harness.ts";
import { KUBECTL, type KubeApiProxy, kubectlPortForward, queryFlag, startKubeApiProxy } from "../streaming/kube-api-proxy.ts";
import { type CritestEnv, HOST_WEB_PORT, type Pod, checkMainPage, useCritestEnv, waitFor } from "./critest-env.ts";

let env: CritestEnv;
let api: KubeApiProxy;
/** Where the proxy's pod `p` (container `c`) leads: the spec's pod and container. */
const target = { pod: "", container: "" };
/** The streams of the last Exec or Attach asked for: what critest asks for, kubectl must have too. */
let asked: Record<string, boolean> = {};

async function urlFor(pathname: string, q: URLSearchParams): Promise<string> {
  const streams = { stdin: queryFlag(q, "stdin"), stdout: queryFlag(q, "stdout"), stderr: queryFlag(q, "stderr"), tty: queryFlag(q, "tty") };
  asked = streams;
  if (pathname.endsWith("/exec")) return (await env.call("Exec", { container_id: target.container, cmd: q.getAll("command"), ...streams })).url;
  if (pathname.endsWith("/attach")) return (await env.call("Attach", { container_id: target.container, ...streams })).url;
  return (await env.call("PortForward", { pod_sandbox_id: target.pod })).url;
}

useCritestEnv(["web", "hostWeb"], async (e) => {
  env = e;
  if (KUBECTL) api = await startKubeApiProxy(urlFor);
});
afterAll(() => api?.close());

const TRANSPORTS = ["spdy", "websocket"] as const;
/** The spec's name over SPDY (critest's default); over WebSocket, what critest's -websocket-* flags run. */
const named = (spec: string, transport: (typeof TRANSPORTS)[number]) => (transport === "spdy" ? spec : `${spec} (WebSocket)`);

async function aim(pod: Pod, container = ""): Promise<void> {
  target.pod = pod.id;
  target.container = container;
}

/** stdout of a running process so far, as it comes. */
function reading(stream: ReadableStream<Uint8Array>) {
  let text = "";
  void (async () => {
    for await (const chunk of stream) text += new TextDecoder().decode(chunk);
  })();
  return () => text;
}

/** critest's checkPortForward: the web server's page through a port-forward to the pod's `remote` port; then the pod goes. */
async function checkPortForward(pod: Pod, transport: (typeof TRANSPORTS)[number], remote: number): Promise<void> {
  await aim(pod);
  const { proc, port } = await kubectlPortForward(api, transport, remote);
  try {
    await checkMainPage(`http://127.0.0.1:${port}`);
  } finally {
    proc.kill();
    await proc.exited;
  }
  await env.cleanup(pod);
}

describe.skipIf(!isRoot || !KUBECTL)("Streaming", () => {
  describe("runtime should support streaming interfaces", () => {
    for (const transport of TRANSPORTS) {
      test(named("runtime should support exec with tty=false and stdin=false [Conformance]", transport), async () => {
        const pod = await env.runPod("create-PodSandbox-for-container-");
        await aim(pod, await env.run(pod, env.ctrConfig("container-for-exec-test", ["top"])));
        const r = await api.run(["exec", "p", "--", "echo", "-n", "hello"], transport);
        expect({ stdout: r.stdout.toString(), stderr: r.stderr, code: r.code }).toEqual({ stdout: "hello", stderr: "", code: 0 });
        expect(asked).toEqual({ stdin: false, stdout: true, stderr: true, tty: false });
        await env.cleanup(pod);
      });

      test(named("runtime should support exec with tty=true and stdin=true [Conformance]", transport), async () => {
        const pod = await env.runPod("create-PodSandbox-for-container-");
        await aim(pod, await env.run(pod, env.ctrConfig("container-for-exec-test", ["top"])));
        // kubectl -t wants a terminal: script(1) gives it one. Its input stays open, as
        // critest's stdin pipe does, while the command runs and ends.
        const { argv, env: vars } = api.command(["exec", "-i", "-t", "p", "--", "echo", "-n", "hello"], transport);
        const p = Bun.spawn(["script", "-qec", argv.map((a) => `'${a}'`).join(" "), "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: vars });
        const out = reading(p.stdout);
        try {
          expect(await p.exited).toBe(0);
          expect(out()).toContain("hello");
          expect(asked).toEqual({ stdin: true, stdout: true, stderr: false, tty: true });
        } finally {
          p.stdin.end();
        }
        await env.cleanup(pod);
      });

      test(named("runtime should support attach [Conformance]", transport), async () => {
        const pod = await env.runPod("create-PodSandbox-for-container-");
        const shell = env.ctrConfig("container-for-attach-test", ["/bin/sh"], { stdin: true, stdin_once: true, tty: false });
        const id = await env.run(pod, shell);
        await aim(pod, id);
        // -q: kubectl's own hints stay off its stderr, which is the container's then
        const p = api.spawn(["attach", "-q", "-i", "p", "-c", "c"], transport, "pipe");
        const stdin = p.stdin as FileSink;
        const out = reading(p.stdout);
        const err = reading(p.stderr);
        // critest: the shell says nothing until it is given something to do
        await Bun.sleep(1_000);
        const header = out();
        stdin.write("echo -n hello\n");
        await stdin.flush();
        await waitFor("hello", async () => (out().slice(header.length) === "hello" ? true : undefined), 60_000);
        // and nothing more (critest watches for 3 s)
        await Bun.sleep(500);
        expect(out().slice(header.length)).toBe("hello");
        // the end of stdin closes the shell's (stdin_once), so the attach ends, cleanly
        stdin.end();
        expect(await p.exited).toBe(0);
        expect(err()).toBe("");
        expect(asked).toEqual({ stdin: true, stdout: true, stderr: true, tty: false });
        await env.cleanup(pod);
      });

      test(named("runtime should support portforward [Conformance]", transport), async () => {
        const pod = await env.runPod("create-PodSandbox-with-port-mapping", { port_mappings: [{ container_port: 80 }] });
        await env.run(pod, { ...env.ctrConfig("container-for-portforward-test", undefined), image: { image: env.critest.web } });
        await checkMainPage(`http://${(await env.call("PodSandboxStatus", { pod_sandbox_id: pod.id })).status.network.ip}:80`);
        await checkPortForward(pod, transport, 80);
      });

      test(named("runtime should support portforward in host network", transport), async () => {
        const hostNetwork = { cgroup_parent: "", security_context: { namespace_options: { network: "NODE" } } };
        const pod = await env.runPod("create-PodSandbox-with-port-mapping", { port_mappings: [{ container_port: HOST_WEB_PORT }], linux: hostNetwork });
        await env.run(pod, { ...env.ctrConfig("container-for-host-net-portforward-test", undefined), image: { image: env.critest.hostWeb } });
        await checkMainPage(`http://127.0.0.1:${HOST_WEB_PORT}`);
        await checkPortForward(pod, transport, HOST_WEB_PORT);
      });
    }
  });
});
