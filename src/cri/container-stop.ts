import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StopContainerRequest, StopContainerResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";

/** StopContainer. Idempotent; an unknown id is fine (api.proto). */
export function createStopContainer(pods: Pods) {
  return async (req: StopContainerRequest): Promise<MessageInitShape<typeof StopContainerResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    if (req.timeout < 0n) throw new InvalidArgumentError("timeout", `${req.timeout} is negative`);
    await pods.containers.stop(req.containerId, Number(req.timeout));
    return {};
  };
}
