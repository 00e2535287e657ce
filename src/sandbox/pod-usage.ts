/**
 * What a pod's infra process uses (its cgroup), when it has one, and the traffic of the
 * pod's network interfaces, from `/proc/net/dev` as read inside the pod's network
 * namespace (the caller reads it through the pinned namespace, so no process is needed).
 */
import { type CgroupRoots, type CgroupStats, readCgroupStats } from "../container/cgroup-stats.ts";

/** One interface's counters since it was made, each way: bytes, packets, errors, drops. */
export type InterfaceUsage = {
  name: string;
  rxBytes: bigint;
  rxPackets: bigint;
  rxErrors: bigint;
  rxDropped: bigint;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  txDropped: bigint;
};

/**
 * /proc/net/dev: two header lines, then `name: rx_bytes rx_packets rx_errs rx_drop ...
 * (8 rx fields) tx_bytes tx_packets tx_errs tx_drop ...`. The loopback device is left out.
 */
export function parseNetDev(text: string): InterfaceUsage[] {
  const out: InterfaceUsage[] = [];
  for (const line of text.split("\n").slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === "lo") continue;
    const f = m[2]!.trim().split(/\s+/).map((v) => BigInt(v));
    if (f.length < 16) continue;
    const [rxBytes, rxPackets, rxErrors, rxDropped] = f.slice(0, 4) as [bigint, bigint, bigint, bigint];
    const [txBytes, txPackets, txErrors, txDropped] = f.slice(8, 12) as [bigint, bigint, bigint, bigint];
    out.push({ name: m[1]!, rxBytes, rxPackets, rxErrors, rxDropped, txBytes, txPackets, txErrors, txDropped });
  }
  return out;
}

/** One HNS endpoint's counters (Windows reports drops, not errors). */
export type EndpointUsage = { name: string; rxBytes: bigint; rxDropped: bigint; txBytes: bigint; txDropped: bigint };

/**
 * `infra`: what the pod's own process uses (Linux: the infra process's cgroup; Windows: the
 * pause container's HCS statistics). `windows` is set for a Windows pod, whose stats go in
 * the CRI's `windows` part: `endpoints` are its network's (absent when they cannot be read).
 */
export type PodUsage = { timestamp: bigint; infra?: CgroupStats; interfaces?: InterfaceUsage[]; windows?: { endpoints?: EndpointUsage[] } };

/**
 * `infraPid` is the live infra process (undefined for a pod without one, or not ready);
 * `netDev` the pod's /proc/net/dev text (undefined for host-network pods, whose
 * interfaces are the node's, and for pods that are not ready).
 */
export function podUsage(infraPid: number | undefined, netDev: string | undefined, now: bigint, roots?: CgroupRoots): PodUsage {
  return {
    timestamp: now,
    infra: infraPid === undefined ? undefined : readCgroupStats(infraPid, roots),
    interfaces: netDev === undefined ? undefined : parseNetDev(netDev),
  };
}
