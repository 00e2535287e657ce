import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../src/errors.ts";
import type { PodNetworkRequest } from "../../../src/network/cni-network.ts";
import { isValidIfName, validatePodNetworkRequest } from "../../../src/network/validate-request.ts";

const base: PodNetworkRequest = { sandboxId: "abc123", netnsPath: "/run/netns/x", podName: "web", podNamespace: "default", podUid: "u-1" };
const pm = (o: Partial<{ hostPort: number; containerPort: number; protocol: string; hostIp: string }>) =>
  ({ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIp: "", ...o }) as NonNullable<PodNetworkRequest["portMappings"]>[number];

describe("validatePodNetworkRequest", () => {
  test("a plain request with good port mappings passes", () => {
    expect(() => validatePodNetworkRequest({ ...base, portMappings: [pm({}), pm({ hostPort: 0 }), pm({ protocol: "udp", hostIp: "::1" })] })).not.toThrow();
  });
  const cases: { desc: string; req: PodNetworkRequest; field: string }[] = [
    { desc: "an empty sandbox id is refused", req: { ...base, sandboxId: "" }, field: "pod_sandbox_id" },
    { desc: "a sandbox id with a slash is refused", req: { ...base, sandboxId: "../x" }, field: "pod_sandbox_id" },
    { desc: "an interface name with a colon is refused", req: { ...base, ifName: "eth:0" }, field: "if_name" },
    { desc: "a pod name with a semicolon is refused", req: { ...base, podName: "a;K8S_POD_UID=x" }, field: "config.metadata.name" },
    { desc: "a namespace with an equals sign is refused", req: { ...base, podNamespace: "a=b" }, field: "config.metadata.namespace" },
    { desc: "a host port above 65535 is refused", req: { ...base, portMappings: [pm({}), pm({}), pm({ hostPort: 70000 })] }, field: "config.port_mappings[2].host_port" },
    { desc: "a negative host port is refused", req: { ...base, portMappings: [pm({ hostPort: -1 })] }, field: "config.port_mappings[0].host_port" },
    { desc: "a container port of 0 is refused", req: { ...base, portMappings: [pm({ containerPort: 0 })] }, field: "config.port_mappings[0].container_port" },
    { desc: "a fractional container port is refused", req: { ...base, portMappings: [pm({ containerPort: 80.5 })] }, field: "config.port_mappings[0].container_port" },
    { desc: "an unknown protocol is refused", req: { ...base, portMappings: [pm({}), pm({ protocol: "icmp" })] }, field: "config.port_mappings[1].protocol" },
    { desc: "a host ip that is not an ip is refused", req: { ...base, portMappings: [pm({ hostIp: "localhost" })] }, field: "config.port_mappings[0].host_ip" },
    { desc: "a negative bandwidth is refused", req: { ...base, bandwidth: { egressRate: -5 } }, field: "bandwidth.egressRate" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      let err: unknown;
      try {
        validatePodNetworkRequest(tc.req);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe(tc.field);
    });
  }
});

describe("isValidIfName", () => {
  const cases = [
    { desc: "eth0 is valid", name: "eth0", want: true },
    { desc: "fifteen characters are valid", name: "a".repeat(15), want: true },
    { desc: "sixteen characters are too many", name: "a".repeat(16), want: false },
    { desc: "a dot alone is not valid", name: ".", want: false },
    { desc: "a space is not valid", name: "eth 0", want: false },
    { desc: "an empty name is not valid", name: "", want: false },
  ];
  for (const tc of cases) test(tc.desc, () => expect(isValidIfName(tc.name)).toBe(tc.want));
});
