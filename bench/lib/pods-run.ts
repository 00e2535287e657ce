/**
 * The pieces of the pod-start benchmark that talk to a runtime: the pod and container
 * configs, one timed pod start (RunPodSandbox + CreateContainer + StartContainer), and
 * finding the per-pod monitor processes whose memory counts as the runtime's overhead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CriClient } from "../../src/cli/cri-client.ts";
import { type ContainerConfigSchema, NamespaceMode, type PodSandboxConfigSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../../src/oci/base-spec.ts";
import { readRss } from "./stats.ts";

export type PodConfig = MessageInitShape<typeof PodSandboxConfigSchema>;
export type ContainerConfig = MessageInitShape<typeof ContainerConfigSchema>;

/**
 * The namespace options the kubelet sends for a pod without `shareProcessNamespace` (the
 * default), on the pod and on each container: every container gets its own PID namespace.
 */
const KUBELET_NAMESPACES = { namespaceOptions: { pid: NamespaceMode.CONTAINER } };

/**
 * Pod number `i`: its own name and uid, logs under `logRoot`, shaped as the kubelet sends
 * it; with `cgroupParent`, its containers' cgroups go under `<cgroupParent>/pod<i>`, as a
 * kubelet's go under its per-pod cgroup (containerd's pod stats need one).
 */
export function benchPodConfig(i: number, logRoot: string, cgroupParent?: string): PodConfig {
  const name = `bench-${i}`;
  return {
    metadata: { name, namespace: "pod-bench", uid: `pod-bench-uid-${i}`, attempt: 0 },
    hostname: name,
    logDirectory: path.join(logRoot, name),
    labels: { app: "pod-bench" },
    linux: { securityContext: KUBELET_NAMESPACES, cgroupParent: cgroupParent ? `${cgroupParent}/pod${i}` : "" },
  };
}

/**
 * The masked and read-only paths the kubelet puts in every container's security context
 * when the pod leaves `procMount` at Default (Kubernetes' pkg/securitycontext lists): the
 * same as skiff's own defaults, less `/proc/interrupts`. containerd 1.6 applies exactly
 * what the request lists and nothing when it lists none, while skiff falls back to its
 * defaults: without these, containerd would make 16 fewer mounts per container than
 * under a kubelet.
 */
const KUBELET_MASKED_PATHS = DEFAULT_MASKED_PATHS.filter((p) => p !== "/proc/interrupts");
const KUBELET_READONLY_PATHS = [...DEFAULT_READONLY_PATHS];

/** The container every pod runs: busybox sleeping for an hour, shaped as the kubelet sends it. */
export function benchContainerConfig(image: string): ContainerConfig {
  return {
    metadata: { name: "sleeper", attempt: 0 },
    image: { image },
    command: ["sleep", "3600"],
    logPath: "sleeper.log",
    linux: { securityContext: { ...KUBELET_NAMESPACES, maskedPaths: KUBELET_MASKED_PATHS, readonlyPaths: KUBELET_READONLY_PATHS } },
  };
}

/** Milliseconds of each step of one pod start. */
export type PodStartTiming = { runMs: number; createMs: number; startMs: number; totalMs: number };

/** Starts pod `i` with one container and times each call. */
export async function startBenchPod(client: CriClient, i: number, image: string, logRoot: string, cgroupParent?: string): Promise<PodStartTiming & { podId: string }> {
  const config = benchPodConfig(i, logRoot, cgroupParent);
  fs.mkdirSync(config.logDirectory as string, { recursive: true });
  const t0 = performance.now();
  const { podSandboxId } = await client.runtime.runPodSandbox({ config });
  const t1 = performance.now();
  const { containerId } = await client.runtime.createContainer({
    podSandboxId,
    config: benchContainerConfig(image),
    sandboxConfig: config,
  });
  const t2 = performance.now();
  await client.runtime.startContainer({ containerId });
  const t3 = performance.now();
  return { podId: podSandboxId, runMs: t1 - t0, createMs: t2 - t1, startMs: t3 - t2, totalMs: t3 - t0 };
}

/** Stops and removes every pod the runtime lists (its containers go with it); returns the time taken. */
export async function removeAllPods(client: CriClient): Promise<{ pods: number; ms: number }> {
  const t0 = performance.now();
  const { items } = await client.runtime.listPodSandbox({});
  for (const p of items) {
    await client.runtime.stopPodSandbox({ podSandboxId: p.id });
    await client.runtime.removePodSandbox({ podSandboxId: p.id });
  }
  return { pods: items.length, ms: performance.now() - t0 };
}

/**
 * Live processes named `comm` (as /proc/<pid>/comm shows it, at most 15 characters)
 * whose command line mentions `marker` (the daemon's temp dir or socket), so monitors
 * of other runtimes on the machine are not counted.
 */
export function monitorPids(comm: string, marker: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/comm`, "utf8").trim() !== comm) continue;
      if (fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(marker)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Sum of VmRSS over the given processes, KiB (shared pages counted once per process). */
export function sumRssKiB(pids: readonly number[]): number {
  let sum = 0;
  for (const p of pids) {
    try {
      sum += readRss(p).rssKiB;
    } catch {
      // exited meanwhile
    }
  }
  return sum;
}
