import { describe, expect, test } from "bun:test";
import { mergeManifests, parseInstallManifest } from "../../../src/install/install-manifest.ts";
import { firstInstall, sha } from "./install-fixtures.ts";

const meta = { skiffVersion: "0.2.0", installedAt: "2026-02-01T00:00:00.000Z" };
const first = firstInstall([{ path: "/etc/cni/net.d/10-skiff.conflist", role: "cni", sha256: sha("4") }], ["/etc/skiff"]);

describe("mergeManifests", () => {
  const written = [
    { path: "/usr/local/bin/skiff", role: "binary" as const, sha256: sha("a") },
    { path: "/etc/crictl.yaml", role: "crictl" as const, sha256: sha("b") },
  ];
  const merged = mergeManifests(first, written, ["/etc/cni"], (p) => p !== "/etc/cni/net.d/10-skiff.conflist", meta);

  test("files written again take their new digest", () => {
    expect(merged.files.find((f) => f.path === "/usr/local/bin/skiff")?.sha256).toBe(sha("a"));
  });

  test("a file the first install wrote and the second kept is still install's", () => {
    expect(merged.files.find((f) => f.path === "/etc/skiff/config.toml")?.sha256).toBe(sha("2"));
  });

  test("a rewritten file keeps the backup of what was there before skiff", () => {
    expect(merged.files.find((f) => f.path === "/etc/crictl.yaml")).toEqual({ path: "/etc/crictl.yaml", role: "crictl", sha256: sha("b"), backup: "/etc/crictl.yaml.before-skiff" });
  });

  test("a file that is gone drops out; directories add up", () => {
    expect(merged.files.map((f) => f.path)).not.toContain("/etc/cni/net.d/10-skiff.conflist");
    expect(merged.dirs).toEqual(["/etc/skiff", "/etc/cni"]);
    expect(merged.skiffVersion).toBe("0.2.0");
  });
});

describe("parseInstallManifest", () => {
  test("reads back what it wrote", () => {
    expect(parseInstallManifest(JSON.stringify(first))).toEqual(first);
  });

  const bad: [string, string, RegExp][] = [
    ["not JSON", "{", /not valid JSON/],
    ["another version", JSON.stringify({ ...first, manifestVersion: 2 }), /manifestVersion 1/],
    ["a relative path", JSON.stringify({ ...first, files: [{ path: "etc/x", role: "config", sha256: sha("1") }] }), /bad file entry/],
    ["a path with ..", JSON.stringify({ ...first, files: [{ path: "/etc/../root/.ssh/authorized_keys", role: "config", sha256: sha("1") }] }), /bad file entry/],
    ["an unknown role", JSON.stringify({ ...first, files: [{ path: "/etc/x", role: "kernel", sha256: sha("1") }] }), /bad file entry/],
    ["a dir with ..", JSON.stringify({ ...first, dirs: ["/var/.."] }), /bad "dirs" entry/],
  ];
  for (const [what, text, err] of bad) test(`refuses ${what}`, () => expect(() => parseInstallManifest(text, "m.json")).toThrow(err));
});
