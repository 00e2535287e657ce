import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateContainerResourcesRequest, UpdateContainerResourcesResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";

/** UpdateContainerResources: Linux cgroup limits through the runtime (`runc update`), Windows ones through HCS. */
export function createUpdateContainerResources(pods: Pods) {
  return async (req: UpdateContainerResourcesRequest): Promise<MessageInitShape<typeof UpdateContainerResourcesResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    await pods.containers.updateResources(req.containerId, req.linux, req.windows);
    return {};
  };
}
