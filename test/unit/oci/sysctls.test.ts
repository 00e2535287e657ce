import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { NamespaceMode, PodSandboxConfigSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { podSysctls, sysctlNamespace, sysctlPath } from "../../../src/oci/sysctls.ts";
import { needsInfraProcess } from "../../../src/sandbox/infra.ts";

describe("sysctlNamespace and sysctlPath", () => {
  const cases = [
    { name: "net.ipv4.ip_forward", ns: "net", path: "net/ipv4/ip_forward" },
    { name: "net.ipv4.conf.eth0/100.rp_filter", ns: "net", path: "net/ipv4/conf/eth0.100/rp_filter" },
    { name: "net/ipv4/ip_forward", ns: "net", path: "net/ipv4/ip_forward" },
    { name: "kernel.shm_rmid_forced", ns: "ipc", path: "kernel/shm_rmid_forced" },
    { name: "fs.mqueue.msg_max", ns: "ipc", path: "fs/mqueue/msg_max" },
    { name: "kernel.domainname", ns: "uts", path: "kernel/domainname" },
    { name: "kernel.pid_max", ns: undefined, path: "kernel/pid_max" },
    { name: "vm.overcommit_memory", ns: undefined, path: "vm/overcommit_memory" },
  ];
  for (const tc of cases) {
    test(`${tc.name} lives in ${tc.ns ?? "no namespace"} at /proc/sys/${tc.path}`, () => {
      expect(sysctlNamespace(tc.name)).toBe(tc.ns as never);
      expect(sysctlPath(tc.name)).toBe(tc.path);
    });
  }
});

describe("podSysctls", () => {
  test("keeps each sysctl with its namespace and path when the pod owns that namespace", () => {
    expect(podSysctls({ "net.core.somaxconn": "1024", "kernel.sem": "250 32000 32 128" }, ["net", "uts", "ipc"])).toEqual([
      { kind: "net", path: "net/core/somaxconn", value: "1024" },
      { kind: "ipc", path: "kernel/sem", value: "250 32000 32 128" },
    ]);
  });
  const refused = [
    { desc: "a node-wide sysctl", sysctls: { "kernel.pid_max": "1" }, own: ["net", "uts", "ipc"], msg: "not in a separate kernel namespace" },
    { desc: "a net sysctl of a host-network pod", sysctls: { "net.ipv4.ip_forward": "1" }, own: ["ipc"], msg: "shares with the host" },
    { desc: "an empty component", sysctls: { "net..x": "1" }, own: ["net"], msg: "is not a sysctl name" },
    { desc: "a parent reference", sysctls: { "net/../../etc": "1" }, own: ["net"], msg: "is not a sysctl name" },
    { desc: "a NUL in the value", sysctls: { "net.core.somaxconn": "1\0" }, own: ["net"], msg: "NUL" },
  ] as const;
  for (const tc of refused) {
    test(`${tc.desc} is refused naming the key`, () => {
      const key = Object.keys(tc.sysctls)[0]!;
      expect(() => podSysctls(tc.sysctls, tc.own)).toThrow(`config.linux.sysctls["${key}"]`);
      expect(() => podSysctls(tc.sysctls, tc.own)).toThrow(tc.msg);
    });
  }
});

describe("needsInfraProcess", () => {
  const pod = (pid?: NamespaceMode) =>
    create(PodSandboxConfigSchema, pid === undefined ? {} : { linux: { securityContext: { namespaceOptions: { pid } } } });
  const cases = [
    { desc: "a pod sharing one PID namespace needs one", config: pod(NamespaceMode.POD), mode: "auto", want: true },
    { desc: "a pod with no namespace options (CRI default: POD) needs one", config: pod(), mode: "auto", want: true },
    { desc: "a pod whose containers each get their own PID namespace needs none", config: pod(NamespaceMode.CONTAINER), mode: "auto", want: false },
    { desc: "a host-PID pod needs none", config: pod(NamespaceMode.NODE), mode: "auto", want: false },
    { desc: "a handler that always wants one gets one", config: pod(NamespaceMode.CONTAINER), mode: "always", want: true },
  ] as const;
  for (const tc of cases) {
    test(tc.desc, () => expect(needsInfraProcess(tc.config, { sandboxProcess: tc.mode })).toBe(tc.want));
  }
});
