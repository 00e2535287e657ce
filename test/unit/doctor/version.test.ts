import { describe, expect, test } from "bun:test";
import { compareVersions, formatVersion, parseVersion, toolVersion, v } from "../../../src/doctor/version.ts";
import { RUNC_115 } from "./doctor-fixtures.ts";

describe("toolVersion", () => {
  const cases = [
    { desc: "runc's first line gives its version, build metadata kept in the text", out: RUNC_115, want: "1.1.5", text: "1.1.5+ds1" },
    { desc: "crun's version line is read", out: "crun version 1.8.1\ncommit: f8a096be060b\nrundir: /run/crun\n", want: "1.8.1", text: "1.8.1" },
    { desc: "catatonit's tini-style line is read", out: "tini version 0.1.7_catatonit\n", want: "0.1.7", text: "0.1.7" },
    { desc: "iptables prints v1.8.9 without the word version", out: "iptables v1.8.9 (nf_tables)\n", want: "1.8.9", text: "1.8.9" },
    { desc: "a release candidate keeps its pre-release tag", out: "runc version 1.4.0-rc.3\n", want: "1.4.0-rc.3", text: "1.4.0-rc.3" },
    { desc: "a two-part version gets patch 0", out: "tool version 2.1\n", want: "2.1.0", text: "2.1" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const ver = toolVersion(tc.out);
      expect(ver && formatVersion(ver)).toBe(tc.want);
      expect(ver?.text).toBe(tc.text);
    });
  }

  test("output without a version gives undefined", () => {
    expect(toolVersion("usage: thing [options]\n")).toBeUndefined();
    expect(parseVersion("")).toBeUndefined();
  });
});

describe("compareVersions", () => {
  const cases: [string, string, number][] = [
    ["1.1.5", "1.1.12", -1],
    ["1.2.0", "1.1.12", 1],
    ["1.4.0-rc.3", "1.4.0", -1],
    ["1.4.0-rc.2", "1.4.0-rc.3", -1],
    ["1.4.0-rc.3", "1.4.0-rc.3", 0],
    ["1.1.5+ds1", "1.1.5", 0],
    ["10.0.0", "9.9.9", 1],
  ];
  for (const [a, b, sign] of cases) {
    test(`${a} ${sign < 0 ? "<" : sign > 0 ? ">" : "="} ${b}`, () => {
      expect(Math.sign(compareVersions(v(a), v(b)))).toBe(sign);
      expect(Math.sign(compareVersions(v(b), v(a)))).toBe(sign === 0 ? 0 : -sign);
    });
  }
});
