/**
 * The network skiff brings itself: the default bridge conflist written into an empty
 * conf dir. Pure: callers write the files.
 */

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

/**
 * The reserved network name under which skiff once ran the CNI loopback plugin for every
 * pod. The platform now sets `lo` up itself; the name stays reserved so result-cache
 * entries of pods from those versions are recognised (and dropped) at teardown.
 */
export const LOOPBACK_NETWORK = "skiff-loopback";
