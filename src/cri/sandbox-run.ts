import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RunPodSandboxRequest, RunPodSandboxResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { Pods } from "./context.ts";

/** RunPodSandbox: validates, reserves the name, sets the pod up; undone on any failure. */
export function createRunPodSandbox(pods: Pods) {
  return async (req: RunPodSandboxRequest): Promise<MessageInitShape<typeof RunPodSandboxResponseSchema>> => ({
    podSandboxId: await pods.sandboxes.run(req.config, req.runtimeHandler),
  });
}
