import { describe, expect, test } from "bun:test";
import { NamespaceMode } from "../../../src/gen/runtime/v1/api_pb.ts";
import { FailedPreconditionError } from "../../../src/errors.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { clampOomScoreAdj } from "../../../src/oci/opts/resources.ts";
import type { Namespace } from "../../../src/oci/spec.ts";
import { containerInput, sandboxConfig } from "./fixtures.ts";
import type { ContainerInit } from "./fixtures.ts";

const build = (init: ContainerInit, over = {}) => buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput(init, over)));

describe("container resources", () => {
  test("cpu, memory, swap, hugepages and unified limits are written", () => {
    const spec = build({
      linux: {
        resources: {
          cpuShares: 512n,
          cpuQuota: 50000n,
          cpuPeriod: 100000n,
          cpusetCpus: "0-1",
          cpusetMems: "0",
          memoryLimitInBytes: 268435456n,
          memorySwapLimitInBytes: 536870912n,
          hugepageLimits: [{ pageSize: "2MB", limit: 4194304n }],
          unified: { "memory.high": "200000000" },
        },
      },
    });
    const r = spec.linux?.resources;
    expect(r?.cpu).toEqual({ shares: 512, quota: 50000, period: 100000, cpus: "0-1", mems: "0" });
    expect(r?.memory).toEqual({ limit: 268435456, swap: 536870912 });
    expect(r?.hugepageLimits).toEqual([{ pageSize: "2MB", limit: 4194304 }]);
    expect(r?.unified).toEqual({ "memory.high": "200000000" });
    expect(r?.devices).toEqual([{ allow: false, access: "rwm" }]);
  });

  test("zero values leave the base's resources alone", () => {
    expect(build({ linux: { resources: {} } }).linux?.resources).toEqual({ devices: [{ allow: false, access: "rwm" }] });
  });

  const bad = [
    { desc: "negative cpu shares are refused", res: { cpuShares: -1n }, field: "config.linux.resources.cpu_shares" },
    { desc: "a negative cpu period is refused", res: { cpuPeriod: -5n }, field: "config.linux.resources.cpu_period" },
    { desc: "a cpu quota below -1 is refused", res: { cpuQuota: -2n }, field: "config.linux.resources.cpu_quota" },
    { desc: "a negative memory limit is refused", res: { memoryLimitInBytes: -1n }, field: "config.linux.resources.memory_limit_in_bytes" },
    { desc: "an oom_score_adj above 1000 is refused", res: { oomScoreAdj: 1001n }, field: "config.linux.resources.oom_score_adj" },
    { desc: "a memory limit JSON cannot hold exactly is refused", res: { memoryLimitInBytes: 2n ** 60n }, field: "config.linux.resources.memory_limit_in_bytes" },
  ];
  for (const tc of bad) test(tc.desc, () => expect(() => build({ linux: { resources: tc.res } })).toThrow(tc.field));
});

describe("oom_score_adj", () => {
  const cases = [
    { desc: "a value is kept when the host can lower it", want: -500, can: true, own: 0, expect: -500 },
    { desc: "a value below skiff's own is raised to it when the host cannot lower it", want: -500, can: false, own: -100, expect: -100 },
    { desc: "a value above skiff's own is kept when the host cannot lower it", want: 300, can: false, own: -100, expect: 300 },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(clampOomScoreAdj(tc.want, { canLowerOomScoreAdj: tc.can, ownOomScoreAdj: tc.own })).toBe(tc.expect);
      const host = { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: tc.can, ownOomScoreAdj: tc.own };
      expect(build({ linux: { resources: { oomScoreAdj: BigInt(tc.want) } } }, { host }).process?.oomScoreAdj).toBe(tc.expect);
    });
  }
});

describe("container namespaces", () => {
  const ns = (mode: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode }) =>
    build({ linux: { securityContext: { namespaceOptions: mode } } }).linux?.namespaces;

  test("by default the pod's net, ipc, uts and pid namespaces are joined by path", () => {
    expect(ns({})).toEqual([
      { type: "pid", path: "/proc/42/ns/pid" },
      { type: "ipc", path: "/run/skiff/ns/ipc/s1" },
      { type: "uts", path: "/run/skiff/ns/uts/s1" },
      { type: "mount" },
      { type: "network", path: "/run/skiff/ns/net/s1" },
    ]);
  });

  const cases: Array<{ desc: string; mode: Parameters<typeof ns>[0]; type: string; want: Namespace | undefined }> = [
    { desc: "pid CONTAINER gives a new pid namespace", mode: { pid: NamespaceMode.CONTAINER }, type: "pid", want: { type: "pid" } },
    { desc: "pid NODE leaves the container in the host's pid namespace", mode: { pid: NamespaceMode.NODE }, type: "pid", want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(ns(tc.mode)?.find((n) => n.type === tc.type)).toEqual(tc.want));

  /** The namespaces of a container whose pod has `podMode` and which asks for `mode` itself. */
  const inPod = (podMode: Parameters<typeof ns>[0], mode: Parameters<typeof ns>[0]) => {
    const sandbox = sandboxConfig({ linux: { securityContext: { namespaceOptions: podMode } } });
    const input = containerInput({ linux: { securityContext: { namespaceOptions: mode } } }, { sandboxConfig: sandbox });
    return buildSpec(defaultLinuxSpec(), containerSpecOpts(input)).linux?.namespaces?.map((n): string => n.type).sort();
  };
  const podCases = [
    { desc: "a host-network pod's container uses the host's network and uts, whatever it asks for", pod: { network: NamespaceMode.NODE }, mode: {}, want: ["ipc", "mount", "pid"] },
    { desc: "asking for the pod's network in a host-network pod still gets the host's", pod: { network: NamespaceMode.NODE }, mode: { network: NamespaceMode.POD }, want: ["ipc", "mount", "pid"] },
    { desc: "asking for the host's network in an ordinary pod gets the pod's", pod: {}, mode: { network: NamespaceMode.NODE }, want: ["ipc", "mount", "network", "pid", "uts"] },
    { desc: "a host-IPC pod's container uses the host's ipc", pod: { ipc: NamespaceMode.NODE }, mode: {}, want: ["mount", "network", "pid", "uts"] },
    { desc: "asking for the host's ipc in an ordinary pod gets the pod's", pod: {}, mode: { ipc: NamespaceMode.NODE }, want: ["ipc", "mount", "network", "pid", "uts"] },
  ];
  for (const tc of podCases) test(tc.desc, () => expect(inPod(tc.pod, tc.mode)).toEqual(tc.want));

  /** A container asking for PID mode POD in a pod of `mode` that has no process holding a PID namespace. */
  const podPidIn = (mode: NamespaceMode) => {
    const sandbox = sandboxConfig({ linux: { securityContext: { namespaceOptions: { pid: mode } } } });
    return containerInput({}, { sandboxConfig: sandbox, namespacePaths: { net: "/n", ipc: "/i", uts: "/u" } });
  };
  test("pid POD in a host-PID pod without a process of its own is the host's", () => {
    expect(buildSpec(defaultLinuxSpec(), containerSpecOpts(podPidIn(NamespaceMode.NODE))).linux?.namespaces?.find((n) => n.type === "pid")).toBeUndefined();
  });
  test("pid POD in a pod of PID mode CONTAINER, which shares none, is refused naming the field", () => {
    expect(() => containerSpecOpts(podPidIn(NamespaceMode.CONTAINER))).toThrow("config.linux.security_context.namespace_options.pid");
  });

  test("a pod namespace that is missing though the pod does not use the host's is a failed precondition, not the caller's fault", () => {
    const input = containerInput({}, { namespacePaths: { net: "/n", ipc: "/i", uts: "/u" } });
    expect(() => containerSpecOpts(input)).toThrow(FailedPreconditionError);
    expect(() => containerSpecOpts(input)).toThrow('sandbox "s1" has no PID namespace to join');
  });
});
