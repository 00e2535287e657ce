import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AttachRequest, AttachResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { CriContext, Pods } from "./context.ts";
import { checkStreamOptions, runningContainer, streamingServer } from "./streaming-check.ts";

/** Attach: checks the request and that the container runs, then answers a single-use URL. */
export function createAttach(ctx: CriContext, pods: Pods) {
  return async (req: AttachRequest): Promise<MessageInitShape<typeof AttachResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    checkStreamOptions(req);
    const server = streamingServer(ctx);
    const rec = await runningContainer(pods, req.containerId);
    const { tty, stdin, stdout, stderr } = req;
    return { url: server.urlFor({ kind: "attach", containerId: rec.id, tty, stdin, stdout, stderr }) };
  };
}
