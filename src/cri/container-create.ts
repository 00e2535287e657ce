import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateContainerRequest, CreateContainerResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { Pods } from "./context.ts";

/** CreateContainer: the sandbox config in the request is ignored; the stored one is used. */
export function createCreateContainer(pods: Pods) {
  return async (req: CreateContainerRequest): Promise<MessageInitShape<typeof CreateContainerResponseSchema>> => ({
    containerId: await pods.containers.create(req.podSandboxId, req.config),
  });
}
