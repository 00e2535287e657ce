import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ReopenContainerLogRequest, ReopenContainerLogResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";

/** ReopenContainerLog: the kubelet's log rotation renames the file, then asks for a new one. */
export function createReopenContainerLog(pods: Pods) {
  return async (req: ReopenContainerLogRequest): Promise<MessageInitShape<typeof ReopenContainerLogResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    await pods.containers.reopenLog(req.containerId);
    return {};
  };
}
