import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PortForwardRequest, PortForwardResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { CriContext, Pods } from "./context.ts";
import { streamingServer } from "./streaming-check.ts";

/**
 * PortForward: checks that the pod is ready and the ports are ports, then answers a
 * single-use URL. Over SPDY each forwarded connection names its own port; `port` is what
 * a WebSocket client gets (one connection per port), as in the kubelet's library.
 */
export function createPortForward(ctx: CriContext, pods: Pods) {
  return async (req: PortForwardRequest): Promise<MessageInitShape<typeof PortForwardResponseSchema>> => {
    if (req.podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    req.port.forEach((p, i) => {
      if (p < 1 || p > 65535) throw new InvalidArgumentError(`port[${i}]`, `${p} is not a port from 1 to 65535`);
    });
    const server = streamingServer(ctx);
    const rec = pods.sandboxes.get(req.podSandboxId);
    if (rec.state !== "ready") throw new FailedPreconditionError(`sandbox "${rec.id}" is not ready`);
    return { url: server.urlFor({ kind: "portforward", podSandboxId: rec.id, ports: [...req.port] }) };
  };
}
