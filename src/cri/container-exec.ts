import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecRequest, ExecResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { CriContext, Pods } from "./context.ts";
import { checkStreamOptions, runningContainer, streamingServer } from "./streaming-check.ts";

/**
 * Exec: checks the request and that the container runs, then answers a single-use URL on
 * the streaming server, where the client's connection runs the command (api.proto:
 * "Exec prepares a streaming endpoint to execute a command in the container").
 */
export function createExec(ctx: CriContext, pods: Pods) {
  return async (req: ExecRequest): Promise<MessageInitShape<typeof ExecResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    if (req.cmd.length === 0) throw new InvalidArgumentError("cmd", "is required");
    checkStreamOptions(req);
    const server = streamingServer(ctx);
    const rec = await runningContainer(pods, req.containerId);
    const { tty, stdin, stdout, stderr } = req;
    return { url: server.urlFor({ kind: "exec", containerId: rec.id, cmd: [...req.cmd], tty, stdin, stdout, stderr }) };
  };
}
