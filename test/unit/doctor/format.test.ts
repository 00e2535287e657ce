import { describe, expect, test } from "bun:test";
import { fail, ok, skip, warn } from "../../../src/doctor/check-result.ts";
import { formatDoctorJson, formatDoctorText } from "../../../src/doctor/format.ts";

const results = [
  ok("conmon", "conmon 2.1.6 at /usr/bin/conmon"),
  warn("clock", "not synchronised", "run an NTP client"),
  fail("cni.plugins", "cni plugins not found: portmap", "apt-get install containernetworking-plugins"),
  skip("registry.mirror", "no registry mirrors configured"),
];

describe("formatDoctorText", () => {
  test("prints one line per check with its mark, aligned ids and the fix, then the counts", () => {
    expect(formatDoctorText(results)).toBe(
      [
        "✔ conmon           conmon 2.1.6 at /usr/bin/conmon",
        "⚠ clock            not synchronised → fix: run an NTP client",
        "✖ cni.plugins      cni plugins not found: portmap → fix: apt-get install containernetworking-plugins",
        "- registry.mirror  no registry mirrors configured",
        "4 checks: 1 ok, 1 warnings, 1 failed, 1 skipped",
        "",
      ].join("\n"),
    );
  });
});

describe("formatDoctorJson", () => {
  test("says ok false when a required check failed, and carries every check", () => {
    const doc = JSON.parse(formatDoctorJson(results));
    expect(doc.ok).toBe(false);
    expect(doc.checks).toHaveLength(4);
    expect(doc.checks[2]).toEqual({ id: "cni.plugins", status: "fail", message: "cni plugins not found: portmap", fix: "apt-get install containernetworking-plugins" });
  });

  test("says ok true when only warnings are left", () => {
    expect(JSON.parse(formatDoctorJson(results.filter((r) => r.status !== "fail"))).ok).toBe(true);
  });
});
