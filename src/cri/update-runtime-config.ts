import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateRuntimeConfigRequest, UpdateRuntimeConfigResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { CriContext } from "./context.ts";

/** The runtime_state key under which the node's pod CIDR is kept. */
export const POD_CIDR_KEY = "pod_cidr";

const FIELD = "runtime_config.network_config.pod_cidr";

/** Checks one CIDR (IPv4 or IPv6) and returns it normalised to lowercase. */
function checkCidr(cidr: string): string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m?.[1] || !m[2]) throw new InvalidArgumentError(FIELD, `"${cidr}" is not a CIDR (want address/prefix)`);
  const [, addr, prefixText] = m;
  const prefix = Number(prefixText);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    if (v4.slice(1).some((o) => Number(o) > 255) || prefix > 32) {
      throw new InvalidArgumentError(FIELD, `"${cidr}" is not a valid IPv4 CIDR`);
    }
    return cidr;
  }
  const groups = addr.split("::");
  const hexOk = (s: string) => s === "" || s.split(":").every((g) => /^[0-9a-fA-F]{1,4}$/.test(g));
  const count = groups.reduce((n, s) => n + (s === "" ? 0 : s.split(":").length), 0);
  const valid = groups.length <= 2 && groups.every(hexOk) && (groups.length === 2 ? count < 8 : count === 8);
  if (!valid || prefix > 128) throw new InvalidArgumentError(FIELD, `"${cidr}" is not a valid IPv4 or IPv6 CIDR`);
  return cidr.toLowerCase();
}

/**
 * Parses the pod CIDR the kubelet sends: empty (nothing to store), one CIDR, or a
 * comma-separated dual-stack pair.
 */
export function parsePodCidrs(value: string): string[] {
  if (value.trim() === "") return [];
  return value.split(",").map((c) => checkCidr(c.trim()));
}

/**
 * UpdateRuntimeConfig stores the node's pod CIDR. The kubelet sends it once it learns it;
 * the CNI issue will hand it to the default network config. An empty CIDR changes nothing.
 */
export function createUpdateRuntimeConfig(ctx: Pick<CriContext, "store" | "log">) {
  return async (req: UpdateRuntimeConfigRequest): Promise<MessageInitShape<typeof UpdateRuntimeConfigResponseSchema>> => {
    const cidrs = parsePodCidrs(req.runtimeConfig?.networkConfig?.podCidr ?? "");
    if (cidrs.length > 0) {
      ctx.store.runtimeState.set(POD_CIDR_KEY, cidrs.join(","));
      ctx.log.info(`pod CIDR set to ${cidrs.join(",")}`);
    }
    return {};
  };
}
