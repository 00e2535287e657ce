import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StopPodSandboxRequest, StopPodSandboxResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { Pods } from "./context.ts";
import { sandboxIdForIdempotent } from "./sandbox-id.ts";

/** StopPodSandbox: idempotent, and an unknown id is not an error (api.proto). */
export function createStopPodSandbox(pods: Pods) {
  return async (req: StopPodSandboxRequest): Promise<MessageInitShape<typeof StopPodSandboxResponseSchema>> => {
    const id = sandboxIdForIdempotent(pods, req.podSandboxId);
    if (id) await pods.sandboxes.stop(id);
    return {};
  };
}
