import { describe, expect, test } from "bun:test";
import { unpackWorkers } from "../../../../src/image/unpack/worker-unpacker.ts";

describe("unpack Workers", () => {
  test("0 means one per core, at least one and at most four", () => {
    expect(unpackWorkers(0, 1)).toBe(1);
    expect(unpackWorkers(0, 2)).toBe(2);
    expect(unpackWorkers(0, 64)).toBe(4);
    expect(unpackWorkers(0, 0)).toBe(1);
  });

  test("a configured count is taken as it is", () => {
    expect(unpackWorkers(3, 2)).toBe(3);
    expect(unpackWorkers(1, 64)).toBe(1);
  });
});
