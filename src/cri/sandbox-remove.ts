import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RemovePodSandboxRequest, RemovePodSandboxResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { Pods } from "./context.ts";

/** RemovePodSandbox. Idempotent: an unknown id is fine (api.proto). */
export function createRemovePodSandbox(pods: Pods) {
  return async (req: RemovePodSandboxRequest): Promise<MessageInitShape<typeof RemovePodSandboxResponseSchema>> => {
    if (req.podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    let id: string;
    try {
      id = pods.sandboxes.get(req.podSandboxId).id;
    } catch (err) {
      if (err instanceof NotFoundError) return {};
      throw err;
    }
    await pods.sandboxes.remove(id);
    return {};
  };
}
