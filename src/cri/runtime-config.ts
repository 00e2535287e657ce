import type { MessageInitShape } from "@bufbuild/protobuf";
import { type RuntimeConfigRequest, type RuntimeConfigResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { CgroupDriver } from "../wire/gen/runtime-v1.ts";
import type { CriContext } from "./context.ts";

/**
 * RuntimeConfig tells the kubelet (>= 1.31, KubeletCgroupDriverFromCRI) which cgroup
 * driver to use, so both agree. Only meaningful on Linux; Windows answers with no linux part.
 */
export function createRuntimeConfig(ctx: Pick<CriContext, "host" | "platform">) {
  return async (_req: RuntimeConfigRequest): Promise<MessageInitShape<typeof RuntimeConfigResponseSchema>> => {
    if (ctx.platform.os !== "linux") return {};
    const driver = ctx.host.cgroupDriver === "systemd" ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS;
    return { linux: { cgroupDriver: driver } };
  };
}
