import { describe, expect, test } from "bun:test";
import { execProcessSpec } from "../../../../src/runtime/linux/exec-process-spec.ts";

const container = {
  terminal: true,
  consoleSize: { height: 10, width: 10 },
  user: { uid: 5, gid: 6 },
  args: ["sleep", "1000"],
  env: ["PATH=/bin", "A=1"],
  cwd: "/work",
  capabilities: { bounding: ["CAP_KILL"] },
  noNewPrivileges: true,
};

describe("execProcessSpec", () => {
  test("the container's settings are kept and the args replaced", () => {
    const p = execProcessSpec(container, { args: ["ls"] });
    expect(p).toEqual({ terminal: false, user: { uid: 5, gid: 6 }, args: ["ls"], env: ["PATH=/bin", "A=1"], cwd: "/work", capabilities: { bounding: ["CAP_KILL"] }, noNewPrivileges: true });
  });
  test("env, cwd, user and tty from the caller win", () => {
    const p = execProcessSpec(container, { args: ["ls"], env: ["B=2"], cwd: "/tmp", user: { uid: 1, gid: 2, additionalGids: [3] }, tty: true });
    expect(p).toMatchObject({ env: ["B=2"], cwd: "/tmp", user: { uid: 1, gid: 2, additionalGids: [3] }, terminal: true });
  });
  test("the container's process object is not mutated", () => {
    const before = structuredClone(container);
    execProcessSpec(container, { args: ["ls"], env: ["B=2"] });
    expect(container).toEqual(before);
  });
  test("a missing container process gets root and /", () => {
    expect(execProcessSpec(undefined, { args: ["x"] })).toEqual({ args: ["x"], terminal: false, cwd: "/", user: { uid: 0, gid: 0 } });
  });
});
