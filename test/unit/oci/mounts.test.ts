import { describe, expect, test } from "bun:test";
import { MountPropagation } from "../../../src/gen/runtime/v1/api_pb.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import type { Mount } from "../../../src/oci/spec.ts";
import { containerInput } from "./fixtures.ts";
import type { ContainerInit } from "./fixtures.ts";

const build = (init: ContainerInit) => buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput(init)));
const at = (mounts: Mount[] | undefined, dest: string) => mounts?.filter((m) => m.destination === dest) ?? [];

describe("container mounts", () => {
  const cases = [
    { desc: "private propagation becomes rprivate", propagation: MountPropagation.PROPAGATION_PRIVATE, readonly: false, want: ["rbind", "rprivate", "rw"] },
    { desc: "host-to-container propagation becomes rslave", propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER, readonly: false, want: ["rbind", "rslave", "rw"] },
    { desc: "bidirectional propagation becomes rshared", propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL, readonly: false, want: ["rbind", "rshared", "rw"] },
    { desc: "a readonly mount is mounted ro", propagation: MountPropagation.PROPAGATION_PRIVATE, readonly: true, want: ["rbind", "rprivate", "ro"] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const spec = build({ mounts: [{ containerPath: "/data", hostPath: "/srv/data", propagation: tc.propagation, readonly: tc.readonly }] });
      expect(at(spec.mounts, "/data")).toEqual([{ destination: "/data", type: "bind", source: "/srv/data", options: tc.want }]);
    });
  }

  test("recursive read-only adds rro and needs readonly", () => {
    const spec = build({ mounts: [{ containerPath: "/d", hostPath: "/s", readonly: true, recursiveReadOnly: true }] });
    expect(at(spec.mounts, "/d")[0]?.options).toEqual(["rbind", "rprivate", "ro", "rro"]);
    expect(() => build({ mounts: [{ containerPath: "/d", hostPath: "/s", recursiveReadOnly: true }] })).toThrow(
      "config.mounts[0].recursive_read_only",
    );
  });

  test("the pod's hosts, resolv.conf, hostname and shm are mounted, and the base /dev/shm tmpfs gives way", () => {
    const spec = build({});
    expect(at(spec.mounts, "/etc/hosts")).toEqual([{ destination: "/etc/hosts", type: "bind", source: "/run/skiff/s1/hosts", options: ["rbind", "rprivate", "rw"] }]);
    expect(at(spec.mounts, "/etc/resolv.conf")[0]?.source).toBe("/run/skiff/s1/resolv.conf");
    expect(at(spec.mounts, "/etc/hostname")[0]?.source).toBe("/run/skiff/s1/hostname");
    expect(at(spec.mounts, "/dev/shm")).toEqual([{ destination: "/dev/shm", type: "bind", source: "/run/skiff/s1/shm", options: ["rbind", "rprivate", "rw"] }]);
  });

  test("a CRI mount onto /etc/hosts replaces the pod's file", () => {
    const spec = build({ mounts: [{ containerPath: "/etc/hosts", hostPath: "/my/hosts", readonly: true }] });
    expect(at(spec.mounts, "/etc/hosts")).toEqual([{ destination: "/etc/hosts", type: "bind", source: "/my/hosts", options: ["rbind", "rprivate", "ro"] }]);
  });

  test("a readonly rootfs makes the pod's files readonly and the root readonly", () => {
    const spec = build({ linux: { securityContext: { readonlyRootfs: true } } });
    expect(at(spec.mounts, "/etc/hosts")[0]?.options).toContain("ro");
    expect(at(spec.mounts, "/dev/shm")[0]?.options).toContain("rw");
    expect(spec.root?.readonly).toBe(true);
  });

  test("parents are mounted before their children whatever the request order", () => {
    const spec = build({ mounts: [{ containerPath: "/a/b", hostPath: "/x" }, { containerPath: "/a", hostPath: "/y" }] });
    const dests = (spec.mounts ?? []).map((m) => m.destination);
    expect(dests.indexOf("/a")).toBeLessThan(dests.indexOf("/a/b"));
  });

  const bad = [
    { desc: "a relative container path is refused", m: { containerPath: "data", hostPath: "/x" }, field: "config.mounts[0].container_path" },
    { desc: "a relative host path is refused", m: { containerPath: "/data", hostPath: "x" }, field: "config.mounts[0].host_path" },
  ];
  for (const tc of bad) test(tc.desc, () => expect(() => build({ mounts: [tc.m] })).toThrow(tc.field));

  test("the same container path twice is refused", () => {
    expect(() => build({ mounts: [{ containerPath: "/d", hostPath: "/x" }, { containerPath: "/d", hostPath: "/y" }] })).toThrow(
      "config.mounts[1].container_path",
    );
  });
});
