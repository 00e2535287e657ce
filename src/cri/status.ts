import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StatusRequest, StatusResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { redactConfig } from "../config/index.ts";
import type { CriContext } from "./context.ts";
import { POD_CIDR_KEY } from "./update-runtime-config.ts";

/** Condition types the kubelet looks for (api.proto RuntimeCondition). */
export const RUNTIME_READY = "RuntimeReady";
export const NETWORK_READY = "NetworkReady";

/**
 * Status reports the runtime and network conditions. NetworkReady is CNI's readiness (a
 * loaded network config); when unmet it carries a reason, as api.proto asks.
 * With `verbose`, `info` carries the effective config (secrets redacted), versions and
 * the host facts, each as a JSON string.
 */
function networkCondition(ctx: CriContext) {
  const s = ctx.network?.status() ?? {
    ready: false,
    reason: "NetworkPluginNotReady",
    message: ctx.podsUnavailable ?? "pod networking is not available on this OS yet",
  };
  return s.ready ? { type: NETWORK_READY, status: true } : { type: NETWORK_READY, status: false, reason: s.reason, message: s.message };
}

/**
 * Each handler's features: recursive read-only mounts where its runtime and the kernel
 * have them (the kubelet sends recursive_read_only only then); user namespaces are not
 * built. The default handler is listed a second time under the name "", the handler of a
 * pod without a RuntimeClass: the kubelet (and critest) look its features up by that
 * name, as containerd lists them.
 */
function runtimeHandlers(ctx: CriContext) {
  const features = (name: string) => ({ recursiveReadOnlyMounts: ctx.runtimeFeatures?.[name]?.recursiveReadOnlyMounts ?? false, userNamespaces: false });
  const named = Object.keys(ctx.config.runtimes).map((name) => ({ name, features: features(name) }));
  const fallback = ctx.config.runtime.defaultRuntime;
  return fallback in ctx.config.runtimes ? [...named, { name: "", features: features(fallback) }] : named;
}

export function createStatus(ctx: CriContext) {
  return async (req: StatusRequest): Promise<MessageInitShape<typeof StatusResponseSchema>> => {
    const runtimeReady = ctx.readiness.state === "ready";
    const info: Record<string, string> = {};
    if (req.verbose) {
      info.config = JSON.stringify(redactConfig(ctx.config));
      info.configSource = JSON.stringify(ctx.configSource);
      info.versions = JSON.stringify({ skiff: ctx.version, bun: Bun.version, criApi: "v1" });
      info.host = JSON.stringify(ctx.host);
      info.network = JSON.stringify({ podCidr: ctx.store.runtimeState.get(POD_CIDR_KEY) ?? "" });
      // Where exec/attach/port-forward URLs point ("" when the server is not running).
      info.streaming = JSON.stringify({ url: ctx.streaming?.baseUrl ?? "" });
    }
    return {
      status: {
        conditions: [
          runtimeReady
            ? { type: RUNTIME_READY, status: true }
            : { type: RUNTIME_READY, status: false, reason: "RuntimeNotReady", message: ctx.readiness.reason },
          networkCondition(ctx),
        ],
      },
      info,
      runtimeHandlers: runtimeHandlers(ctx),
      // Where pods are built, SupplementalGroupsPolicy (Merge/Strict) is honoured and
      // ContainerStatus reports the user; host network with user namespaces is not.
      features: { supplementalGroupsPolicy: ctx.pods !== undefined, userNamespacesHostNetwork: false },
    };
  };
}
