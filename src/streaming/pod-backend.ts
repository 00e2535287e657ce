/**
 * The streaming server's back end on Linux: exec and attach through the container's
 * runtime (runc exec with pipes, or conmon for a tty and for attach), port-forward by
 * dialing the pod's loopback inside its pinned network namespace. Each call checks again
 * that the container runs (or the pod is ready): the URL may have waited a while.
 */
import { FailedPreconditionError, NotSupportedError } from "../errors.ts";
import { ContainerManager } from "../container/container-manager.ts";
import type { Platform } from "../platform/types.ts";
import type { Pods } from "../cri/context.ts";
import { dialPodPort } from "./portforward/tcp-dial.ts";
import type { StreamingBackend } from "./streaming-types.ts";

export function createPodBackend(pods: () => Pods, platform: Platform): StreamingBackend {
  const connect = (path: string) => platform.connectSeqpacket(path);
  const linuxContainers = () => {
    const c = pods().containers;
    if (!(c instanceof ContainerManager)) throw new NotSupportedError("interactive exec and attach are built for Linux containers only");
    return c;
  };
  return {
    async exec(req, io, signal) {
      const c = await linuxContainers().running(req.containerId);
      return c.runtime.execInteractive(c.rec.id, c.bundle, { args: req.cmd, tty: req.tty }, io, signal, connect);
    },
    async attach(req, io, signal) {
      const c = await linuxContainers().running(req.containerId);
      await c.runtime.attach(c.rec.id, c.bundle, io, signal, connect, req.tty);
    },
    async dial(podSandboxId, port) {
      if (platform.os !== "linux") throw new NotSupportedError("port-forward is built for Linux pods only");
      const rec = pods().sandboxes.get(podSandboxId);
      if (rec.state !== "ready") throw new FailedPreconditionError(`sandbox "${rec.id}" is not ready`);
      const netns = rec.netns.net;
      // No pinned netns: a host-network pod, whose loopback is the host's.
      if (!netns) return dialPodPort((fn) => fn(), port, "the host network");
      return dialPodPort((fn) => platform.inNetworkNamespace(netns, fn), port, `the network namespace of sandbox "${rec.id}"`);
    },
  };
}
