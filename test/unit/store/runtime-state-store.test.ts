import { afterEach, describe, expect, test } from "bun:test";
import { cleanup, tempStore } from "./helpers.ts";

afterEach(cleanup);

describe("RuntimeStateStore", () => {
  test("set, get, overwrite, list and delete a key", () => {
    const { runtimeState } = tempStore();
    expect(runtimeState.get("pod_cidr")).toBeUndefined();
    runtimeState.set("pod_cidr", "10.88.0.0/16");
    runtimeState.set("pod_cidr", "10.99.0.0/16");
    runtimeState.set("a", "1");
    expect(runtimeState.get("pod_cidr")).toBe("10.99.0.0/16");
    expect(runtimeState.entries()).toEqual([
      ["a", "1"],
      ["pod_cidr", "10.99.0.0/16"],
    ]);
    expect(runtimeState.delete("pod_cidr")).toBe(true);
    expect(runtimeState.delete("pod_cidr")).toBe(false);
    expect(runtimeState.get("pod_cidr")).toBeUndefined();
  });
});
