import { describe, expect, test } from "bun:test";
import { NamespaceMode } from "../../../src/gen/runtime/v1/api_pb.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { sandboxSpecOpts } from "../../../src/oci/sandbox.ts";
import { sandboxInput } from "./fixtures.ts";
import type { SandboxInit } from "./fixtures.ts";

const build = (init: SandboxInit = {}, over = {}) => buildSpec(defaultLinuxSpec(), sandboxSpecOpts(sandboxInput(init, over)));

describe("sandbox annotations", () => {
  test("the CRI sandbox annotations are written", () => {
    expect(build().annotations).toEqual({
      "io.kubernetes.cri.container-type": "sandbox",
      "io.kubernetes.cri.sandbox-id": "s1",
      "io.kubernetes.cri.sandbox-name": "web",
      "io.kubernetes.cri.sandbox-namespace": "shop",
      "io.kubernetes.cri.sandbox-uid": "uid-1",
      "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/shop_web_uid-1",
    });
  });

  test("pod resources become the sandbox-cpu and sandbox-memory annotations as decimal strings", () => {
    const ann = build({
      linux: { resources: { cpuPeriod: 100000n, cpuQuota: 200000n, cpuShares: 2048n, memoryLimitInBytes: 1073741824n } },
    }).annotations;
    expect(ann?.["io.kubernetes.cri.sandbox-cpu-period"]).toBe("100000");
    expect(ann?.["io.kubernetes.cri.sandbox-cpu-quota"]).toBe("200000");
    expect(ann?.["io.kubernetes.cri.sandbox-cpu-shares"]).toBe("2048");
    expect(ann?.["io.kubernetes.cri.sandbox-memory"]).toBe("1073741824");
  });

  test("pod resources set to zero are still written, as the pod's declared values", () => {
    const ann = build({ linux: { resources: {} } }).annotations;
    expect(ann?.["io.kubernetes.cri.sandbox-cpu-quota"]).toBe("0");
    expect(ann?.["io.kubernetes.cri.sandbox-memory"]).toBe("0");
  });

  test("no resources annotations without pod resources", () => {
    expect(Object.keys(build().annotations ?? {}).some((k) => k.includes("sandbox-cpu") || k.includes("sandbox-memory"))).toBe(false);
  });

  test("matching pod annotations pass through, but cannot replace CRI ones", () => {
    const ann = build(
      { annotations: { "io.kata.vcpus": "2", "secret": "x", "io.kubernetes.cri.sandbox-id": "fake" } },
      { handler: { podAnnotations: ["io.kata.*", "io.kubernetes.cri.*"] } },
    ).annotations;
    expect(ann?.["io.kata.vcpus"]).toBe("2");
    expect(ann?.["secret"]).toBeUndefined();
    expect(ann?.["io.kubernetes.cri.sandbox-id"]).toBe("s1");
  });
});

describe("sandbox process", () => {
  const cases = [
    { desc: "oom_score_adj is -998 when the host can lower it", can: true, own: 0, want: -998 },
    { desc: "oom_score_adj is raised to skiff's own when the host cannot lower it", can: false, own: -500, want: -500 },
    { desc: "oom_score_adj stays -998 when skiff's own is lower still", can: false, own: -999, want: -998 },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const host = { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: tc.can, ownOomScoreAdj: tc.own };
      expect(build({}, { host }).process?.oomScoreAdj).toBe(tc.want);
    });
  }

  test("the infra process runs the given args on a readonly root with cpu shares of 2 and no rlimits", () => {
    const spec = build();
    expect(spec.process?.args).toEqual(["/pause"]);
    expect(spec.root?.readonly).toBe(true);
    expect(spec.linux?.resources?.cpu?.shares).toBe(2);
    expect(spec.process?.rlimits).toBeUndefined();
    expect(spec.hostname).toBe("web-host");
    expect(spec.linux?.cgroupsPath).toBe("/skiff/s1");
  });

  test("run_as_user, run_as_group and supplemental groups set the user", () => {
    const spec = build({ linux: { securityContext: { runAsUser: { value: 65535n }, runAsGroup: { value: 65534n }, supplementalGroups: [5n] } } });
    expect(spec.process?.user).toEqual({ uid: 65535, gid: 65534, additionalGids: [5] });
  });

  test("run_as_group without run_as_user is refused", () => {
    expect(() => build({ linux: { securityContext: { runAsGroup: { value: 1n } } } })).toThrow("run_as_group");
  });

  test("the pod's shm and resolv.conf are bind-mounted read-only", () => {
    const spec = build();
    expect(spec.mounts?.find((m) => m.destination === "/dev/shm")).toEqual({ destination: "/dev/shm", type: "bind", source: "/run/skiff/s1/shm", options: ["rbind", "ro"] });
    expect(spec.mounts?.find((m) => m.destination === "/etc/resolv.conf")?.options).toEqual(["rbind", "ro"]);
  });
});

describe("sandbox sysctls and namespaces", () => {
  test("a pod network gets the unprivileged port and ping defaults", () => {
    expect(build().linux?.sysctl).toEqual({ "net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647" });
  });

  test("the pod's own sysctls win over the defaults", () => {
    const sysctl = build({ linux: { sysctls: { "net.ipv4.ip_unprivileged_port_start": "1024", "kernel.shm_rmid_forced": "1" } } }).linux?.sysctl;
    expect(sysctl?.["net.ipv4.ip_unprivileged_port_start"]).toBe("1024");
    expect(sysctl?.["kernel.shm_rmid_forced"]).toBe("1");
  });

  test("the ping default is left out when the caller says ICMP must stay privileged", () => {
    expect(build({}, { unprivilegedIcmp: false }).linux?.sysctl).toEqual({ "net.ipv4.ip_unprivileged_port_start": "0" });
  });

  test("a host-network pod gets no defaults, no network or uts namespace and no hostname", () => {
    const spec = build({ linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } });
    expect(spec.linux?.sysctl).toEqual({});
    expect(spec.linux?.namespaces?.map((n) => n.type)).toEqual(["pid", "ipc", "mount"]);
    expect(spec.hostname).toBeUndefined();
  });

  test("a pod network joins the pinned netns and gets new ipc and uts namespaces", () => {
    expect(build().linux?.namespaces).toEqual([
      { type: "pid" },
      { type: "ipc" },
      { type: "uts" },
      { type: "mount" },
      { type: "network", path: "/run/skiff/ns/net/s1" },
    ]);
  });

  test("host pid and ipc remove those namespaces", () => {
    const spec = build({ linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE } } } });
    expect(spec.linux?.namespaces?.map((n) => n.type)).toEqual(["uts", "mount", "network"]);
  });
});
