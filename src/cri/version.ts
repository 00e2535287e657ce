import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VersionRequest, VersionResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { CriContext } from "./context.ts";

/** The CRI API version skiff serves. */
export const CRI_API_VERSION = "v1";

/**
 * Version names the runtime. The `version` field is the (long frozen) kubelet runtime API
 * version string; runtimes answer "0.1.0" there, and the kubelet reads runtime_api_version.
 */
export function createVersion(ctx: Pick<CriContext, "version">) {
  return async (_req: VersionRequest): Promise<MessageInitShape<typeof VersionResponseSchema>> => ({
    version: "0.1.0",
    runtimeName: "skiff",
    runtimeVersion: ctx.version,
    runtimeApiVersion: CRI_API_VERSION,
  });
}
