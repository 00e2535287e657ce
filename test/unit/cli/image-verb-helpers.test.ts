import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { fsRows } from "../../../src/cli/imagefsinfo.ts";
import { parseVerboseInfo } from "../../../src/cli/inspecti.ts";
import { needsSkiff } from "../../../src/cli/needs-skiff.ts";

describe("parseVerboseInfo", () => {
  test("JSON values become structure and other strings stay strings", () => {
    expect(parseVerboseInfo({ info: '{"size":3}', note: "plain text" })).toEqual({ info: { size: 3 }, note: "plain text" });
  });
});

describe("fsRows", () => {
  test("a filesystem row has its kind, mountpoint, human size and inodes", () => {
    expect(fsRows("image", [{ fsId: { mountpoint: "/var/lib/skiff" }, usedBytes: { value: 2_500_000n }, inodesUsed: { value: 42n } }])).toEqual([
      ["image", "/var/lib/skiff", "2.5MB", "42"],
    ]);
  });
  test("missing values show as a dash", () => expect(fsRows("container", [{}])).toEqual([["container", "", "-", "-"]]));
});

describe("needsSkiff", () => {
  test("Unimplemented becomes a message that names the verb", () => {
    const err = needsSkiff("image import", new ConnectError("no such method", Code.Unimplemented)) as Error;
    expect(err.message).toBe("image import needs a skiff endpoint: [unimplemented] no such method");
  });
  test("other errors pass through untouched", () => {
    const orig = new ConnectError("gone", Code.Unavailable);
    expect(needsSkiff("image export", orig)).toBe(orig);
  });
});
