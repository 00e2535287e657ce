import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StopPodSandboxRequest, StopPodSandboxResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { Pods } from "./context.ts";

/**
 * StopPodSandbox. Idempotent, and an unknown id is not an error: api.proto says a
 * sandbox that was already removed must not make this fail.
 */
export function createStopPodSandbox(pods: Pods) {
  return async (req: StopPodSandboxRequest): Promise<MessageInitShape<typeof StopPodSandboxResponseSchema>> => {
    if (req.podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    let id: string;
    try {
      id = pods.sandboxes.get(req.podSandboxId).id;
    } catch (err) {
      if (err instanceof NotFoundError) return {};
      throw err;
    }
    await pods.sandboxes.stop(id);
    return {};
  };
}
