/**
 * What a pod's infra process uses (its cgroup) and the traffic of the pod's network
 * interfaces, read through the infra process: /proc/<pid>/net/dev shows the network
 * namespace that process is in, so no setns is needed.
 */
import * as path from "node:path";
import { type CgroupRoots, type CgroupStats, readCgroupStats } from "../container/cgroup-stats.ts";
import { readOr } from "../runtime/read-or.ts";

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

export type PodUsage = { timestamp: bigint; infra?: CgroupStats; interfaces?: InterfaceUsage[] };

/**
 * `pid` is the live infra process (undefined when the pod is not ready); `hostNetwork`
 * pods report no interfaces, which are the node's, not the pod's.
 */
export function podUsage(pid: number | undefined, hostNetwork: boolean, now: bigint, roots?: CgroupRoots): PodUsage {
  if (pid === undefined) return { timestamp: now };
  const netDev = hostNetwork ? undefined : readOr(path.join(roots?.proc ?? "/proc", String(pid), "net", "dev"), undefined);
  return { timestamp: now, infra: readCgroupStats(pid, roots), interfaces: netDev === undefined ? undefined : parseNetDev(netDev) };
}
