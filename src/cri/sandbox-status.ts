import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PodSandboxStatusRequest, PodSandboxStatusResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";
import { containerStatusOf } from "./container-status.ts";
import { toCriSandboxStatus } from "./pod-convert.ts";

/**
 * PodSandboxStatus, with the statuses of the pod's containers taken at the same moment
 * (what the kubelet's evented PLEG reads); with `verbose`, `info["info"]` holds the
 * stored state and, for a pod with an infra process, its spec.
 */
export function createPodSandboxStatus(pods: Pods) {
  return async (req: PodSandboxStatusRequest): Promise<MessageInitShape<typeof PodSandboxStatusResponseSchema>> => {
    if (req.podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    const rec = pods.sandboxes.get(req.podSandboxId);
    const info: Record<string, string> = {};
    if (req.verbose) {
      const p = pods.sandboxes.paths(rec.id);
      let runtimeSpec: unknown;
      try {
        runtimeSpec = JSON.parse(await Bun.file(`${p.bundle}/config.json`).text());
      } catch {
        runtimeSpec = undefined;
      }
      const { pid, infra } = rec.info as { pid?: number; infra?: boolean };
      // `infra`: whether the pod has an infra process (only pods sharing a PID namespace do,
      // unless the handler always wants one); `runtimeSpec` is that process's spec.
      info.info = JSON.stringify({ pid, infra: infra !== false, netns: rec.netns, image: "", runtimeHandler: rec.runtimeHandler, runtimeSpec, config: rec.config });
    }
    const containersStatuses = (await pods.containers.list({ sandboxId: rec.id })).map(containerStatusOf);
    return { status: toCriSandboxStatus(rec), info, containersStatuses, timestamp: BigInt(Date.now()) * 1_000_000n };
  };
}
