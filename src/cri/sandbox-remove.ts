import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RemovePodSandboxRequest, RemovePodSandboxResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { Pods } from "./context.ts";
import { sandboxIdForIdempotent } from "./sandbox-id.ts";

/** RemovePodSandbox: idempotent, and an unknown id is not an error (api.proto). */
export function createRemovePodSandbox(pods: Pods) {
  return async (req: RemovePodSandboxRequest): Promise<MessageInitShape<typeof RemovePodSandboxResponseSchema>> => {
    const id = sandboxIdForIdempotent(pods, req.podSandboxId);
    if (id) await pods.sandboxes.remove(id);
    return {};
  };
}
