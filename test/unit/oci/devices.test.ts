import { describe, expect, test } from "bun:test";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { deviceHostPaths } from "../../../src/oci/devices.ts";
import { containerInput, sandboxConfig } from "./fixtures.ts";
import type { ContainerInit } from "./fixtures.ts";

const fuse = { type: "c" as const, major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 };
const sda = { type: "b" as const, major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 };
const info = { "/dev/fuse": fuse, "/dev/sda": sda };
const build = (init: ContainerInit, over: object = { deviceInfo: info }) => buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput(init, over)));

describe("CRI devices", () => {
  test("a device becomes a node and an allow rule after the base's deny-all", () => {
    const spec = build({ devices: [{ hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "rw" }] });
    expect(spec.linux?.devices).toEqual([{ path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]);
    expect(spec.linux?.resources?.devices).toEqual([
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 10, minor: 229, access: "rw" },
    ]);
  });

  test("a device may appear at another path; empty permissions mean rwm", () => {
    const spec = build({ devices: [{ hostPath: "/dev/sda", containerPath: "/dev/xvda", permissions: "" }] });
    expect(spec.linux?.devices?.[0]).toMatchObject({ path: "/dev/xvda", type: "b", major: 8, minor: 0, gid: 6 });
    expect(spec.linux?.resources?.devices?.[1]?.access).toBe("rwm");
  });

  test("a CRI device replaces a privileged container's host device at the same path", () => {
    const pod = sandboxConfig({ linux: { securityContext: { privileged: true } } });
    const hostDevs = [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }, { path: "/dev/null", type: "c", major: 1, minor: 3 }];
    const facts = { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: true, ownOomScoreAdj: 0, devices: hostDevs };
    const spec = build(
      { linux: { securityContext: { privileged: true } }, devices: [{ hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "r" }] },
      { deviceInfo: info, sandboxConfig: pod, host: facts },
    );
    expect(spec.linux?.devices?.map((d) => d.path)).toEqual(["/dev/null", "/dev/fuse"]);
  });

  const bad = [
    { desc: "a device the caller found no node for is refused", d: { hostPath: "/dev/nvidia0", containerPath: "/dev/nvidia0", permissions: "rw" }, field: "config.devices[0].host_path" },
    { desc: "a relative host path is refused", d: { hostPath: "dev/fuse", containerPath: "/dev/fuse", permissions: "rw" }, field: "config.devices[0].host_path" },
    { desc: "a relative container path is refused", d: { hostPath: "/dev/fuse", containerPath: "fuse", permissions: "rw" }, field: "config.devices[0].container_path" },
    { desc: "permissions other than r, w and m are refused", d: { hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "rx" }, field: "config.devices[0].permissions" },
  ];
  for (const tc of bad) test(tc.desc, () => expect(() => build({ devices: [tc.d] })).toThrow(tc.field));

  test("without deviceInfo every device is refused", () => {
    expect(() => build({ devices: [{ hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "rw" }] }, {})).toThrow("config.devices[0].host_path");
  });

  test("deviceHostPaths lists each host path once, in order", () => {
    const config = containerInput({
      devices: [
        { hostPath: "/dev/b", containerPath: "/dev/b" },
        { hostPath: "/dev/a", containerPath: "/dev/a" },
        { hostPath: "/dev/b", containerPath: "/dev/b2" },
      ],
    }).config;
    expect(deviceHostPaths(config)).toEqual(["/dev/b", "/dev/a"]);
  });
});
