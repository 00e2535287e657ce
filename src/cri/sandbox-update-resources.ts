import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdatePodSandboxResourcesRequest, UpdatePodSandboxResourcesResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";

/** UpdatePodSandboxResources: the pod-level figures after a resize, checked and kept. */
export function createUpdatePodSandboxResources(pods: Pods) {
  return async (req: UpdatePodSandboxResourcesRequest): Promise<MessageInitShape<typeof UpdatePodSandboxResourcesResponseSchema>> => {
    if (req.podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    await pods.sandboxes.updateResources(req.podSandboxId, req.overhead, req.resources);
    return {};
  };
}
