/**
 * A skiff daemon with one ready pod and a few running containers for the streaming tests,
 * plus clients that are not skiff's own: grpc-js for the RPCs and @kubernetes/client-node
 * for WebSocket exec, attach and port-forward, pointed at the URL skiff returns.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { Attach, Exec, KubeConfig, PortForward } from "@kubernetes/client-node";
// Not re-exported by the package index; the file is part of its published dist.
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
import { pushPodImages, type PodImages } from "../../support/pod-images.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { type Daemon, startDaemon } from "../harness.ts";
import { containerConfig, podConfig, removePodsAndStop, setUpTestNetwork } from "../cri/pod-fixtures.ts";
export { processesMentioning as processesWith } from "../../support/containerd-pods.ts";

export type StreamEnv = {
  d: Daemon;
  reg: TestRegistry;
  images: PodImages;
  pod: string;
  /** A container that sleeps. */
  sleeper: string;
  logs: string;
  call<T = any>(method: string, req?: object, ms?: number): Promise<T>;
  runContainer(name: string, script: string, over?: Record<string, unknown>, pod?: string): Promise<string>;
  runPod(name: string, over?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
};

/** Starts everything; `streaming` lines go into the daemon's [streaming] table. */
export async function startStreamEnv(streaming = ""): Promise<StreamEnv> {
  const reg = await startRegistry();
  const images = await pushPodImages(reg.host);
  const dir = fs.mkdtempSync("/tmp/skiff-stream-");
  const undoNetwork = setUpTestNetwork(path.join(dir, "cni"), path.join(dir, "ipam"));
  const logs = path.join(dir, "logs");
  let d: Daemon;
  try {
    d = await startDaemon({ extraConfig: `\n[cni]\nconf_dir = "${path.join(dir, "cni")}"\nwrite_default = false\n\n[streaming]\n${streaming}\n` });
    await d.image.call("PullImage", { image: { image: images.busybox } }, 60_000);
  } catch (err) {
    undoNetwork();
    await reg.stop();
    throw err;
  }
  const call = <T = any>(method: string, req: object = {}, ms = 60_000) => d.runtime.call<T>(method, req, ms);
  const runPod = async (name: string, over: Record<string, unknown> = {}) =>
    (await call("RunPodSandbox", { config: podConfig(name, path.join(logs, name), over) })).pod_sandbox_id as string;
  const pod = await runPod("streams");
  const runContainer = async (name: string, script: string, over: Record<string, unknown> = {}, inPod = pod) => {
    const s = await call("PodSandboxStatus", { pod_sandbox_id: inPod });
    const sandboxConfig = podConfig(s.status.metadata.name, path.join(logs, s.status.metadata.name));
    const c = await call("CreateContainer", { pod_sandbox_id: inPod, config: containerConfig(name, images.busybox, script, over), sandbox_config: sandboxConfig });
    await call("StartContainer", { container_id: c.container_id });
    return c.container_id as string;
  };
  const sleeper = await runContainer("sleeper", "sleep 3600");
  return {
    d,
    reg,
    images,
    pod,
    sleeper,
    logs,
    call,
    runContainer,
    runPod,
    async stop() {
      try {
        await removePodsAndStop(d);
      } finally {
        undoNetwork();
        await reg.stop();
        fs.rmSync(d.dir, { recursive: true, force: true });
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A KubeConfig whose cluster is the streaming server of `url`. */
function kubeConfigFor(url: string): KubeConfig {
  const u = new URL(url);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "skiff", server: `${u.protocol}//${u.host}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "c", cluster: "skiff", user: "u" }],
    currentContext: "c",
  });
  return kc;
}

/**
 * client-node's WebSocket handler with the path it builds (the API server's
 * `/api/v1/namespaces/.../exec?...`) replaced by the URL's own path: the streaming
 * server takes its options from the RPC, not from the query.
 */
function handlerFor(url: string): WebSocketHandler {
  const u = new URL(url);
  const real = new WebSocketHandler(kubeConfigFor(url));
  return { connect: (_p: string, text: any, binary: any) => real.connect(`${u.pathname}${u.search}`, text, binary) } as unknown as WebSocketHandler;
}

export function clientNodeExec(url: string): Exec {
  return new Exec(kubeConfigFor(url), handlerFor(url));
}

export function clientNodeAttach(url: string): Attach {
  return new Attach(kubeConfigFor(url), handlerFor(url));
}

export function clientNodePortForward(url: string): PortForward {
  return new PortForward(kubeConfigFor(url), true, handlerFor(url));
}

/** A Writable that keeps what it is given. */
export function collector(): Writable & { text(): string; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  }) as Writable & { text(): string; bytes(): Buffer };
  w.text = () => Buffer.concat(chunks).toString("utf8");
  w.bytes = () => Buffer.concat(chunks);
  return w;
}
