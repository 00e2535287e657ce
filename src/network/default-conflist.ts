/**
 * The networks skiff brings itself: the default bridge conflist written into an empty
 * conf dir, and the loopback network run for every pod. Pure: callers write the files.
 */
import type { NetworkConfigList } from "./network-config.ts";

/** File name of the default conflist; "10-" sorts it before most hand-written configs. */
export const DEFAULT_CONFLIST_FILE = "10-skiff.conflist";

export type DefaultConflistOptions = {
  /** Network name (default "skiff"): host-local keeps its allocations under this name. */
  name?: string;
  /** Linux bridge device (default "skiff0"). */
  bridge?: string;
  /** host-local `dataDir`; unset keeps the plugin's default (/var/lib/cni/networks). */
  ipamDataDir?: string;
};

/**
 * The default conflist for `subnet`: a bridge that is the pods' gateway (hairpin so a pod
 * can reach itself through its own host port), host-local IPAM with a default route, and
 * portmap for hostPort mappings. `ipMasq` is off: skiff does not NAT pod traffic to the
 * outside by default; operators who want that write their own conflist.
 */
export function defaultConflist(subnet: string, opts: DefaultConflistOptions = {}): Record<string, unknown> {
  const ipv6 = subnet.includes(":");
  const ipam: Record<string, unknown> = {
    type: "host-local",
    ranges: [[{ subnet }]],
    routes: [{ dst: ipv6 ? "::/0" : "0.0.0.0/0" }],
  };
  if (opts.ipamDataDir !== undefined) ipam.dataDir = opts.ipamDataDir;
  return {
    cniVersion: "1.0.0",
    name: opts.name ?? "skiff",
    plugins: [
      { type: "bridge", bridge: opts.bridge ?? "skiff0", isGateway: true, ipMasq: false, hairpinMode: true, ipam },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** Name of the built-in network that brings `lo` up in every pod. */
export const LOOPBACK_NETWORK = "skiff-loopback";

/**
 * The loopback network. It is run on its own, before the pod networks, rather than
 * chained: a chain passes one interface's result along, and `lo` is not that interface.
 */
export function loopbackNetwork(): NetworkConfigList {
  return { cniVersion: "1.0.0", name: LOOPBACK_NETWORK, disableCheck: false, plugins: [{ type: "loopback" }], source: "" };
}
