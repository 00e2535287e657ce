import { describe, expect, test } from "bun:test";
import type { PodNetworkRequest } from "../../../src/network/cni-network.ts";
import type { NetworkConfigList } from "../../../src/network/network-config.ts";
import { pluginEnv, pluginStdin, podCniArgs, requestRuntimeConfig } from "../../../src/network/plugin-input.ts";

const req: PodNetworkRequest = { sandboxId: "sb1", netnsPath: "/run/netns/sb1", podName: "web", podNamespace: "prod", podUid: "uid-9" };
const net: NetworkConfigList = { cniVersion: "1.0.0", name: "n", disableCheck: false, plugins: [], source: "x.conflist" };

describe("podCniArgs", () => {
  test("carries IgnoreUnknown and the K8S_POD_* keys", () => {
    expect(podCniArgs(req)).toBe("IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sb1;K8S_POD_UID=uid-9");
  });
});

describe("requestRuntimeConfig", () => {
  test("mappings with host port 0 are dropped and hostIP is set only when given", () => {
    const rc = requestRuntimeConfig({
      ...req,
      portMappings: [
        { hostPort: 0, containerPort: 80, protocol: "tcp", hostIp: "" },
        { hostPort: 8080, containerPort: 80, protocol: "tcp", hostIp: "" },
        { hostPort: 5353, containerPort: 53, protocol: "udp", hostIp: "10.0.0.1" },
      ],
    });
    expect(rc).toEqual({
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "10.0.0.1" },
      ],
    });
  });
  test("only zero-port mappings give no portMappings key", () => {
    expect(requestRuntimeConfig({ ...req, portMappings: [{ hostPort: 0, containerPort: 80, protocol: "tcp", hostIp: "" }] })).toEqual({});
  });
  test("dns, cgroup parent and bandwidth map to their capability keys", () => {
    const rc = requestRuntimeConfig({ ...req, dns: { servers: ["10.0.0.10"], searches: ["svc"], options: ["ndots:5"] }, cgroupParent: "/kubepods/x", bandwidth: { egressRate: 1000 } });
    expect(rc).toEqual({
      dns: { servers: ["10.0.0.10"], searches: ["svc"], options: ["ndots:5"] },
      cgroupPath: "/kubepods/x",
      bandwidth: { egressRate: 1000, egressBurst: 2147483647 },
    });
  });
});

describe("pluginStdin", () => {
  const rc = { portMappings: [{ hostPort: 1, containerPort: 2, protocol: "tcp" }], dns: { servers: [] } };
  const cases = [
    {
      desc: "a plugin without capabilities gets no runtimeConfig",
      plugin: { type: "bridge", bridge: "b0" },
      prev: undefined,
      want: { type: "bridge", bridge: "b0", name: "n", cniVersion: "1.0.0" },
    },
    {
      desc: "a plugin gets only the capabilities it declares true",
      plugin: { type: "portmap", capabilities: { portMappings: true, dns: false, bandwidth: true } },
      prev: { cniVersion: "1.0.0" },
      want: {
        type: "portmap",
        capabilities: { portMappings: true, dns: false, bandwidth: true },
        name: "n",
        cniVersion: "1.0.0",
        runtimeConfig: { portMappings: rc.portMappings },
        prevResult: { cniVersion: "1.0.0" },
      },
    },
    {
      desc: "a runtimeConfig or prevResult written in the file is not passed on",
      plugin: { type: "x", runtimeConfig: { evil: 1 }, prevResult: { bogus: 1 } },
      prev: undefined,
      want: { type: "x", name: "n", cniVersion: "1.0.0" },
    },
  ];
  for (const tc of cases) test(tc.desc, () => expect(pluginStdin(net, tc.plugin, rc, tc.prev)).toEqual(tc.want));
});

describe("pluginEnv", () => {
  test("sets every CNI_* variable and drops ones inherited from the daemon", () => {
    const env = pluginEnv(
      { command: "DEL", containerId: "sb1", netns: "", ifName: "eth0", args: "A=1", binDirs: ["/a", "/b"] },
      { PATH: "/usr/bin", CNI_PATH: "/evil", CNI_FOO: "x", UNSET: undefined },
    );
    expect(env).toEqual({ PATH: "/usr/bin", CNI_COMMAND: "DEL", CNI_CONTAINERID: "sb1", CNI_NETNS: "", CNI_IFNAME: "eth0", CNI_ARGS: "A=1", CNI_PATH: "/a:/b" });
  });
});
