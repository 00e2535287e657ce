/**
 * Starting a runtime set up for pod benchmarks, whichever it is: containerd (as
 * test/support/containerd-pods.ts runs it) or skiff (pods-skiff.ts), both returned as the
 * same shape; and waiting until one says it is ready for pods.
 */
import * as path from "node:path";
import type { CriClient } from "../../src/cli/cri-client.ts";
import { startContainerdForPods } from "../../test/support/containerd-pods.ts";
import { type PodBenchTarget, startSkiffForPods } from "./pods-skiff.ts";

export const POD_RUNTIMES = ["containerd", "skiff"] as const;
export type PodRuntimeName = (typeof POD_RUNTIMES)[number];

/** Starts a runtime set up for pods. */
export async function startPodTarget(name: PodRuntimeName, registryHost: string, pauseImage: string): Promise<PodBenchTarget> {
  if (name === "containerd") {
    const c = await startContainerdForPods({ registryHost, sandboxImage: pauseImage });
    return {
      daemon: c.daemon,
      monitorComm: "containerd-shim", // comm is cut at 15 characters: containerd-shim-runc-v2
      monitorMarker: path.join(c.dir, "containerd.sock"),
      stop: c.stop,
    };
  }
  return startSkiffForPods({ registryHost });
}

/**
 * Waits for Status to say RuntimeReady, as a kubelet does: a daemon answers Version as
 * soon as it listens, but may refuse other calls (skiff: Unavailable) until it is ready.
 */
export async function waitRuntimeReady(client: CriClient, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const s = await client.runtime.status({});
      if (s.status?.conditions.some((c) => c.type === "RuntimeReady" && c.status)) return;
    } catch (err) {
      if (performance.now() > deadline) throw err;
    }
    if (performance.now() > deadline) throw new Error(`not RuntimeReady within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
}
