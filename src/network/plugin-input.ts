/**
 * What a plugin is given: its environment and its stdin config. Pure, so the exact bytes a
 * plugin sees are unit-tested. See the CNI spec, section 2 (execution protocol) and
 * section 3 (runtimeConfig from capabilities):
 * https://github.com/containernetworking/cni/blob/main/SPEC.md#section-2-execution-protocol
 * https://github.com/containernetworking/cni/blob/main/CONVENTIONS.md
 */
import type { PodNetworkRequest } from "./pod-network.ts";
import type { NetworkConfigList, PluginConfig } from "./network-config.ts";

export type CniCommand = "ADD" | "DEL" | "CHECK";

/** The per-invocation parameters that become CNI_* variables. */
export type InvocationArgs = {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  /** The CNI_ARGS string, already joined. */
  args: string;
  binDirs: string[];
};

/**
 * CNI_ARGS for a pod: the keys the kubelet's dockershim and containerd send, with
 * IgnoreUnknown=1 so plugins that do not know them do not fail.
 */
export function podCniArgs(req: PodNetworkRequest): string {
  return [
    "IgnoreUnknown=1",
    `K8S_POD_NAMESPACE=${req.podNamespace}`,
    `K8S_POD_NAME=${req.podName}`,
    `K8S_POD_INFRA_CONTAINER_ID=${req.sandboxId}`,
    `K8S_POD_UID=${req.podUid}`,
  ].join(";");
}

/**
 * Every runtimeConfig value the request can fill, keyed by capability name. A plugin gets
 * only those it declares in `capabilities`. Mappings with hostPort 0 are not mappings.
 */
export function requestRuntimeConfig(req: PodNetworkRequest): Record<string, unknown> {
  const rc: Record<string, unknown> = {};
  const ports = (req.portMappings ?? []).filter((p) => p.hostPort !== 0);
  if (ports.length > 0) {
    rc.portMappings = ports.map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol,
      ...(p.hostIp ? { hostIP: p.hostIp } : {}),
    }));
  }
  if (req.dns) rc.dns = { servers: req.dns.servers, searches: req.dns.searches, options: req.dns.options };
  if (req.cgroupParent) rc.cgroupPath = req.cgroupParent;
  const bw = req.bandwidth;
  if (bw && (bw.ingressRate !== undefined || bw.egressRate !== undefined)) {
    const b: Record<string, number> = {};
    // The bandwidth plugin refuses a rate without a burst; a burst of 2^31-1 bits is large
    // enough that only the rate limits.
    if (bw.ingressRate !== undefined) Object.assign(b, { ingressRate: bw.ingressRate, ingressBurst: 2147483647 });
    if (bw.egressRate !== undefined) Object.assign(b, { egressRate: bw.egressRate, egressBurst: 2147483647 });
    rc.bandwidth = b;
  }
  return rc;
}

/**
 * The stdin config for one plugin of a list: the plugin's own keys, the list's name and
 * cniVersion, `runtimeConfig` holding only the declared capabilities we have values for,
 * and `prevResult` when there is one.
 */
export function pluginStdin(
  net: NetworkConfigList,
  plugin: PluginConfig,
  runtimeConfig: Record<string, unknown>,
  prevResult: unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...plugin, name: net.name, cniVersion: net.cniVersion };
  delete out.runtimeConfig;
  delete out.prevResult;
  const rc: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
    if (on === true && runtimeConfig[cap] !== undefined) rc[cap] = runtimeConfig[cap];
  }
  if (Object.keys(rc).length > 0) out.runtimeConfig = rc;
  if (prevResult !== undefined && prevResult !== null) out.prevResult = prevResult;
  return out;
}

/**
 * The plugin's environment: the daemon's own (plugins such as portmap run iptables and
 * need PATH) with every CNI_* variable set by us, so none leaks in from outside.
 */
export function pluginEnv(inv: InvocationArgs, base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !k.startsWith("CNI_")) env[k] = v;
  env.CNI_COMMAND = inv.command;
  env.CNI_CONTAINERID = inv.containerId;
  env.CNI_NETNS = inv.netns;
  env.CNI_IFNAME = inv.ifName;
  env.CNI_ARGS = inv.args;
  env.CNI_PATH = inv.binDirs.join(":");
  return env;
}
