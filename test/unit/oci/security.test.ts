import { describe, expect, test } from "bun:test";
import { DEFAULT_CAPABILITIES, defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { ALL_CAPABILITIES } from "../../../src/oci/opts/security.ts";
import { containerInput, sandboxConfig } from "./fixtures.ts";
import type { ContainerInit } from "./fixtures.ts";

const build = (init: ContainerInit, over = {}) => buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput(init, over)));

describe("capabilities", () => {
  const cases: Array<{ desc: string; add: string[]; drop: string[]; want: (base: string[]) => string[] }> = [
    { desc: "an added capability is granted in bare form", add: ["NET_ADMIN"], drop: [], want: (b) => [...b, "CAP_NET_ADMIN"] },
    { desc: "a dropped capability is removed", add: [], drop: ["CAP_KILL", "chown"], want: (b) => b.filter((c) => c !== "CAP_KILL" && c !== "CAP_CHOWN") },
    { desc: "adding ALL grants every capability", add: ["ALL"], drop: [], want: () => [...ALL_CAPABILITIES] },
    { desc: "dropping ALL then adding one leaves only that one", add: ["NET_BIND_SERVICE"], drop: ["ALL"], want: () => ["CAP_NET_BIND_SERVICE"] },
    { desc: "a capability both added and dropped ends up dropped", add: ["SYS_ADMIN"], drop: ["SYS_ADMIN"], want: (b) => b },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const caps = build({ linux: { securityContext: { capabilities: { addCapabilities: tc.add, dropCapabilities: tc.drop } } } }).process?.capabilities;
      const want = tc.want([...DEFAULT_CAPABILITIES]);
      expect(caps?.bounding).toEqual(want);
      expect(caps?.effective).toEqual(want);
      expect(caps?.permitted).toEqual(want);
    });
  }

  test("an unknown capability is refused, naming the field", () => {
    expect(() => build({ linux: { securityContext: { capabilities: { addCapabilities: ["FLY"] } } } })).toThrow(
      "config.linux.security_context.capabilities.add_capabilities",
    );
  });

  test("ambient capabilities are also made inheritable", () => {
    const caps = build({ linux: { securityContext: { capabilities: { addCapabilities: ["NET_ADMIN"], addAmbientCapabilities: ["NET_ADMIN"] } } } }).process?.capabilities;
    expect(caps?.ambient).toEqual(["CAP_NET_ADMIN"]);
    expect(caps?.inheritable).toEqual(["CAP_NET_ADMIN"]);
  });
});

describe("privileged and paths", () => {
  const privilegedPod = { sandboxConfig: sandboxConfig({ linux: { securityContext: { privileged: true } } }) };
  const dev = { path: "/dev/sda", type: "b", major: 8, minor: 0 };

  test("a privileged container gets every capability, no masked or readonly paths, and a writable /sys", () => {
    const spec = build({ linux: { securityContext: { privileged: true, maskedPaths: ["/proc/kcore"] } } }, privilegedPod);
    expect(spec.process?.capabilities?.bounding).toEqual([...ALL_CAPABILITIES]);
    expect(spec.linux?.maskedPaths).toEqual([]);
    expect(spec.linux?.readonlyPaths).toEqual([]);
    expect(spec.mounts?.find((m) => m.destination === "/sys")?.options).not.toContain("ro");
  });

  test("a privileged container gets the host's devices unless the handler says otherwise", () => {
    const host = { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: true, ownOomScoreAdj: 0, devices: [dev] };
    expect(build({ linux: { securityContext: { privileged: true } } }, { ...privilegedPod, host }).linux?.devices).toEqual([dev]);
    const handler = { podAnnotations: [], containerAnnotations: [], privilegedWithoutHostDevices: true };
    expect(build({ linux: { securityContext: { privileged: true } } }, { ...privilegedPod, host, handler }).linux?.devices).toBeUndefined();
  });

  test("a privileged container gets the host's capability bounding set when it is known, not more", () => {
    const hostCaps = ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_RESOURCE");
    const host = { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: false, ownOomScoreAdj: 0, capabilities: hostCaps };
    const caps = build({ linux: { securityContext: { privileged: true } } }, { ...privilegedPod, host }).process?.capabilities;
    for (const set of [caps?.bounding, caps?.effective, caps?.permitted]) expect(set).toEqual(hostCaps);
  });

  test("add_capabilities ALL grants the host's bounding set when it is known, not more; a drop still applies", () => {
    const hostCaps = ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_RESOURCE");
    const host = { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: false, ownOomScoreAdj: 0, capabilities: hostCaps };
    const all = build({ linux: { securityContext: { capabilities: { addCapabilities: ["ALL"] } } } }, { host }).process?.capabilities;
    for (const set of [all?.bounding, all?.effective, all?.permitted]) expect(set).toEqual(hostCaps);
    const allButChown = build({ linux: { securityContext: { capabilities: { addCapabilities: ["ALL"], dropCapabilities: ["CHOWN"] } } } }, { host });
    expect(allButChown.process?.capabilities?.bounding).toEqual(hostCaps.filter((c) => c !== "CAP_CHOWN"));
  });

  test("a privileged container in an unprivileged pod is refused", () => {
    expect(() => build({ linux: { securityContext: { privileged: true } } })).toThrow("config.linux.security_context.privileged");
  });

  test("masked and readonly paths from the security context replace the base's", () => {
    const spec = build({ linux: { securityContext: { maskedPaths: ["/proc/x"], readonlyPaths: ["/proc/y"] } } });
    expect(spec.linux?.maskedPaths).toEqual(["/proc/x"]);
    expect(spec.linux?.readonlyPaths).toEqual(["/proc/y"]);
  });

  test("no_new_privs sets noNewPrivileges", () => {
    expect(build({ linux: { securityContext: { noNewPrivs: true } } }).process?.noNewPrivileges).toBe(true);
    expect(build({}).process?.noNewPrivileges).toBe(false);
  });
});
