import { describe, expect, test } from "bun:test";
import { bundleImagesName, checkBundlePlatform, parseBundleManifest } from "../../../src/install/bundle-format.ts";
import { crictlConfig, systemdUnit } from "../../../src/install/systemd-unit.ts";
import { BUNDLE } from "./install-fixtures.ts";

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe("parseBundleManifest", () => {
  test("reads a manifest with images, and one without", () => {
    expect(parseBundleManifest(bytes(BUNDLE), "b")).toEqual(BUNDLE);
    const { images: _, ...noImages } = BUNDLE;
    expect(parseBundleManifest(bytes(noImages), "b").images).toBeUndefined();
  });

  const bad: [string, unknown, RegExp][] = [
    ["another bundle version", { ...BUNDLE, bundleVersion: 2 }, /version 1/],
    ["a missing skiff version", { ...BUNDLE, skiffVersion: "" }, /"skiffVersion"/],
    ["a binary without a digest", { ...BUNDLE, binary: { size: 1 } }, /"binary"/],
    ["a negative size", { ...BUNDLE, images: { ...BUNDLE.images, size: -1 } }, /"images"/],
    ["refs that are not strings", { ...BUNDLE, images: { ...BUNDLE.images, refs: [1] } }, /"images\.refs"/],
  ];
  for (const [what, doc, err] of bad) test(`refuses ${what}`, () => expect(() => parseBundleManifest(bytes(doc), "b")).toThrow(err));

  test("refuses text that is not JSON", () => expect(() => parseBundleManifest(new TextEncoder().encode("PK\u0003\u0004"), "b.zip")).toThrow(/not valid JSON/));
});

describe("checkBundlePlatform", () => {
  test("a bundle for another architecture is refused with both named", () => {
    expect(() => checkBundlePlatform(BUNDLE, "linux", "arm64")).toThrow(/linux-x64; this machine is linux-arm64/);
    expect(() => checkBundlePlatform(BUNDLE, "linux", "x64")).not.toThrow();
  });
});

test("the same images land on the same file name", () => {
  expect(bundleImagesName("b".repeat(64))).toBe(`skiff-bundle-${"b".repeat(16)}.tar`);
});

describe("systemdUnit", () => {
  const unit = systemdUnit("/usr/local/bin/skiff");
  const lines = new Set(unit.split("\n"));
  const wanted = [
    "ExecStart=/usr/local/bin/skiff serve",
    "KillMode=process",
    "Delegate=yes",
    "Type=exec",
    "Restart=always",
    "OOMScoreAdjust=-999",
    "TasksMax=infinity",
    "ExecStartPre=-/sbin/modprobe overlay",
    "WantedBy=multi-user.target",
  ];
  for (const line of wanted) test(`has ${line}`, () => expect(lines.has(line)).toBe(true));

  test("sets no LimitNOFILE (the systemd default stands, as in containerd's unit)", () => expect(unit).not.toMatch(/^LimitNOFILE=/m));
});

test("crictlConfig adds unix:// to a socket path and keeps one that has it", () => {
  expect(crictlConfig("/run/skiff/skiff.sock")).toContain("runtime-endpoint: unix:///run/skiff/skiff.sock\n");
  expect(crictlConfig("unix:///x.sock")).toContain("image-endpoint: unix:///x.sock\n");
});
