/**
 * A skiff daemon with one ready pod and a few running containers for the streaming tests,
 * plus clients that are not skiff's own: grpc-js for the RPCs and @kubernetes/client-node
 * for WebSocket exec, attach and port-forward, pointed at the URL skiff returns.
 */
import { Writable } from "node:stream";
import { Attach, Exec, KubeConfig, PortForward } from "@kubernetes/client-node";
// Not re-exported by the package index; the file is part of its published dist.
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
import { type PodTestEnv, startPodTestEnv } from "../cri/pod-fixtures.ts";
export { processesMentioning as processesWith } from "../../support/containerd-pods.ts";

export type StreamEnv = PodTestEnv & {
  /** A ready pod, and a container in it that sleeps. */
  pod: string;
  sleeper: string;
};

/** The pod test environment plus one pod; `streaming` lines go into the daemon's [streaming] table. */
export async function startStreamEnv(streaming = ""): Promise<StreamEnv> {
  const env = await startPodTestEnv({ extraConfig: `\n[streaming]\n${streaming}\n` });
  try {
    const pod = await env.runPod("streams");
    const sleeper = await env.runContainer(pod, "sleeper", "sleep 3600");
    return Object.assign(env, { pod, sleeper });
  } catch (err) {
    await env.close();
    throw err;
  }
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
