import { describe, expect, test } from "bun:test";
import { hostInfra, imageInfra, INFRA_BINARY_PATH } from "../../../src/sandbox/infra.ts";

describe("infra process", () => {
  test("the built-in infra is the host's catatonit in pause mode, bound read-only, without mounts it does not need", () => {
    const p = hostInfra("/usr/bin/catatonit");
    expect(p.args).toEqual([INFRA_BINARY_PATH, "-P"]);
    expect(p.mounts).toEqual([{ destination: INFRA_BINARY_PATH, type: "bind", source: "/usr/bin/catatonit", options: ["bind", "ro", "nosuid", "nodev"] }]);
    expect(p.unneededMounts).toContain("/sys");
    expect(p.unneededMounts).not.toContain("/proc");
  });
  test("a sandbox image runs its entrypoint and cmd with its env and working dir, keeping the base mounts", () => {
    const p = imageInfra({
      os: "linux",
      architecture: "amd64",
      config: { env: ["PATH=/"], entrypoint: ["/pause"], cmd: ["-v"], workingDir: "/w", volumes: [], exposedPorts: [], labels: {} },
      rootfs: { type: "layers", diffIds: [] },
      history: [],
    });
    expect(p).toEqual({ args: ["/pause", "-v"], env: ["PATH=/"], cwd: "/w", mounts: [], unneededMounts: [] });
  });
});
