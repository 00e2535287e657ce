import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecSyncRequest, ExecSyncResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { DeadlineExceededError, InvalidArgumentError } from "../errors.ts";
import type { Pods } from "./context.ts";

/**
 * ExecSync: runs a command to completion in a running container. At the timeout the
 * process is killed and the call fails with DeadlineExceeded, which is how the kubelet
 * tells a timed-out probe from a failed one.
 */
export function createExecSync(pods: Pods) {
  return async (req: ExecSyncRequest): Promise<MessageInitShape<typeof ExecSyncResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    const res = await pods.containers.execSync(req.containerId, req.cmd, Number(req.timeout));
    if (res.timedOut) throw new DeadlineExceededError(`command ${JSON.stringify(req.cmd)} timed out after ${req.timeout}s`);
    return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
  };
}
