import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StartContainerRequest, StartContainerResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";

export function createStartContainer(pods: Pods) {
  return async (req: StartContainerRequest): Promise<MessageInitShape<typeof StartContainerResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    await pods.containers.start(req.containerId);
    return {};
  };
}
