/**
 * What pod networking offers the rest of skiff: a pod's network request and result, and
 * the driver's interface. Apart from the CNI driver, so the files it is built from
 * depend on these types and not on it.
 */

export type PortMapping = { hostPort: number; containerPort: number; protocol: "tcp" | "udp" | "sctp"; hostIp: string };
export type PodNetworkRequest = {
  /** CNI_CONTAINERID. */
  sandboxId: string;
  /** CNI_NETNS (a pinned netns file); "" or a missing file is fine for tearDown. */
  netnsPath: string;
  /** Default "eth0"; a second network gets "eth1", and so on. */
  ifName?: string;
  /** K8S_POD_* in CNI_ARGS, plus IgnoreUnknown=1. */
  podName: string;
  podNamespace: string;
  podUid: string;
  /** runtimeConfig.portMappings (portmap capability); entries with hostPort 0 are skipped. */
  portMappings?: PortMapping[];
  /** runtimeConfig.dns if a plugin declares the capability. */
  dns?: { servers: string[]; searches: string[]; options: string[] };
  /** runtimeConfig.cgroupPath. */
  cgroupParent?: string;
  bandwidth?: { ingressRate?: number; egressRate?: number };
};
/** `ips`: primary first, IPv4 before IPv6. `results`: raw ADD result per pod network. */
export type PodNetworkResult = { ips: string[]; results: unknown[] };
export interface CniNetwork {
  /** Load (and, if allowed and none exists, write then load) the network configs. Never throws for "no config": status() says not ready. */
  init(): Promise<void>;
  /** Re-read confDir (call it cheaply before setUp; reload when files changed). */
  reload(): Promise<void>;
  /** reason "NetworkPluginNotReady" when not ready. */
  status(): { ready: boolean; reason: string; message: string };
  /** ADD each loaded network in order; on failure DEL those added and throw. */
  setUp(req: PodNetworkRequest): Promise<PodNetworkResult>;
  /** DEL with cached prevResult; idempotent; tolerates a missing netns and a missing cache. */
  tearDown(req: PodNetworkRequest): Promise<void>;
  check(req: PodNetworkRequest): Promise<void>;
  /** Pod IPs from the cache (used after a skiff restart). */
  cachedIps(sandboxId: string): Promise<string[]>;
}
