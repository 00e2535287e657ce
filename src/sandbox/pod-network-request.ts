import type { PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import type { PodNetworkRequest } from "../network/cni-network.ts";

const PROTOCOLS = ["tcp", "udp", "sctp"] as const;

/** The CNI request for a pod: its identity, pinned netns, port mappings, DNS and cgroup parent. */
export function podNetworkRequest(id: string, config: PodSandboxConfig | undefined, netnsPath: string): PodNetworkRequest {
  const md = config?.metadata;
  const dns = config?.dnsConfig;
  return {
    sandboxId: id,
    netnsPath,
    podName: md?.name ?? "",
    podNamespace: md?.namespace ?? "",
    podUid: md?.uid ?? "",
    portMappings: (config?.portMappings ?? []).map((pm) => ({
      hostPort: pm.hostPort,
      containerPort: pm.containerPort,
      protocol: PROTOCOLS[pm.protocol] ?? "tcp",
      hostIp: pm.hostIp,
    })),
    dns: dns ? { servers: dns.servers, searches: dns.searches, options: dns.options } : undefined,
    cgroupParent: config?.linux?.cgroupParent,
  };
}
