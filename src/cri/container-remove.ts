import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RemoveContainerRequest, RemoveContainerResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";

/** RemoveContainer. Idempotent; an unknown id is fine (api.proto). */
export function createRemoveContainer(pods: Pods) {
  return async (req: RemoveContainerRequest): Promise<MessageInitShape<typeof RemoveContainerResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    await pods.containers.remove(req.containerId);
    return {};
  };
}
