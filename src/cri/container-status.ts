import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerStatusRequest, ContainerStatusResponseSchema, ContainerStatusSchema } from "../gen/runtime/v1/api_pb.ts";
import type { ContainerRecord } from "../store/index.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { Spec, User } from "../oci/spec.ts";
import type { Pods } from "./context.ts";
import { toCriContainerStatus } from "./pod-convert.ts";

/** The CRI status of a container, with the process user stored at create. */
export function containerStatusOf(rec: ContainerRecord): MessageInitShape<typeof ContainerStatusSchema> {
  return toCriContainerStatus(rec, (rec.info as { user?: User | null }).user ?? undefined);
}

/** ContainerStatus; with `verbose`, `info["info"]` holds the pid, sandbox and the OCI spec. */
export function createContainerStatus(pods: Pods) {
  return async (req: ContainerStatusRequest): Promise<MessageInitShape<typeof ContainerStatusResponseSchema>> => {
    if (req.containerId === "") throw new InvalidArgumentError("container_id", "is required");
    const rec = await pods.containers.get(req.containerId);
    const info: Record<string, string> = {};
    if (req.verbose) {
      let spec: Spec | undefined;
      try {
        spec = JSON.parse(await Bun.file(`${pods.containers.paths(rec.id).bundle}/config.json`).text()) as Spec;
      } catch {
        spec = undefined;
      }
      info.info = JSON.stringify({ sandboxID: rec.sandboxId, pid: (rec.info as { pid?: number }).pid, runtimeSpec: spec, config: rec.config });
    }
    return { status: containerStatusOf(rec), info };
  };
}
