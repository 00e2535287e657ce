/**
 * ADD, DEL and CHECK of one network configuration list: plugins in order for ADD (each
 * result the next one's prevResult) and CHECK, in reverse for DEL.
 * See https://github.com/containernetworking/cni/blob/main/SPEC.md#section-4-plugin-delegation
 */
import { type CniResult, convertResult } from "./cni-result.ts";
import { idleCall } from "./idle-plugins.ts";
import type { NetworkConfigList } from "./network-config.ts";
import { type PluginCall, invokePlugin } from "./plugin-exec.ts";
import { type CniCommand, pluginStdin } from "./plugin-input.ts";

/** Everything about one pod attachment that is not in the list itself. */
export type Attachment = {
  containerId: string;
  netns: string;
  ifName: string;
  cniArgs: string;
  runtimeConfig: Record<string, unknown>;
  binDirs: string[];
  timeoutMs?: number;
  observe?: PluginCall["observe"];
};

/** CHECK and prevResult on DEL came with spec 0.4.0. */
export const hasPrevResultOnDel = (version: string): boolean => !/^0\.[0-3]\./.test(version);

async function call(net: NetworkConfigList, i: number, command: CniCommand, a: Attachment, prev: unknown): Promise<CniResult | undefined> {
  const plugin = net.plugins[i]!;
  const stdin = pluginStdin(net, plugin, a.runtimeConfig, prev);
  const idle = idleCall(plugin.type, command, stdin);
  if (idle.skip) return idle.result as CniResult | undefined;
  return invokePlugin({
    type: plugin.type,
    network: net.name,
    stdin,
    inv: { command, containerId: a.containerId, netns: a.netns, ifName: a.ifName, args: a.cniArgs, binDirs: a.binDirs },
    timeoutMs: a.timeoutMs,
    observe: a.observe,
  });
}

/** Runs ADD over the list and returns the last plugin's result, in the list's version. */
export async function addNetworkList(net: NetworkConfigList, a: Attachment): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (let i = 0; i < net.plugins.length; i++) {
    const r = await call(net, i, "ADD", a, prev);
    if (r === undefined) throw new Error(`plugin "${net.plugins[i]!.type}" of network "${net.name}" returned no result`);
    prev = convertResult(r, net.cniVersion);
  }
  return prev!;
}

/**
 * Runs DEL over the list in reverse. Every plugin is asked even when one fails (so one
 * broken plugin does not leak the others' state); the first error is thrown at the end.
 */
export async function delNetworkList(net: NetworkConfigList, a: Attachment, cached: CniResult | undefined): Promise<void> {
  const prev = cached && hasPrevResultOnDel(net.cniVersion) ? convertResult(cached, net.cniVersion) : undefined;
  let first: unknown;
  for (let i = net.plugins.length - 1; i >= 0; i--) {
    try {
      await call(net, i, "DEL", a, prev);
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

/** Runs CHECK over the list with the cached ADD result; lists older than 0.4.0 are skipped. */
export async function checkNetworkList(net: NetworkConfigList, a: Attachment, cached: CniResult): Promise<void> {
  if (net.disableCheck || !hasPrevResultOnDel(net.cniVersion)) return;
  const prev = convertResult(cached, net.cniVersion);
  for (let i = 0; i < net.plugins.length; i++) await call(net, i, "CHECK", a, prev);
}
