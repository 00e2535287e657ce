import { describe, expect, test } from "bun:test";
import { FailedPreconditionError } from "../../../src/errors.ts";
import type { Step } from "../../../src/install/steps.ts";
import { type UninstallFacts, planUninstall } from "../../../src/install/uninstall-plan.ts";
import { firstInstall, sha } from "./install-fixtures.ts";

function installed(): UninstallFacts {
  const manifest = firstInstall(
    [
      { path: "/etc/systemd/system/skiff.service", role: "unit", sha256: sha("4") },
      { path: "/var/lib/skiff/import/skiff-bundle-bbbb.tar", role: "images", sha256: sha("5") },
    ],
    ["/etc/skiff", "/var/lib/skiff/import", "/var/lib/skiff"],
  );
  const current = Object.fromEntries(manifest.files.map((f) => [f.path, f.sha256]));
  return { manifest, current, backups: ["/etc/crictl.yaml.before-skiff"], systemd: true, dataDirs: ["/var/lib/skiff", "/run/skiff"], mounts: [], serving: true };
}

const summary = (steps: Step[]) => steps.map((s) => `${s.op} ${"path" in s ? s.path : "argv" in s ? s.argv.join(" ") : s.text}`);

describe("planUninstall", () => {
  test("stops the unit, removes unchanged files, restores the backup, keeps the images, removes empty dirs deepest first", () => {
    expect(summary(planUninstall(installed(), { purge: false }))).toEqual([
      "run systemctl disable --now skiff.service",
      "remove /usr/local/bin/skiff",
      "remove /etc/skiff/config.toml",
      "restore /etc/crictl.yaml",
      "remove /etc/systemd/system/skiff.service",
      "keep /var/lib/skiff/import/skiff-bundle-bbbb.tar",
      "remove /var/lib/skiff/install-manifest.json",
      "rmdir /var/lib/skiff/import",
      "rmdir /var/lib/skiff",
      "rmdir /etc/skiff",
      "run systemctl daemon-reload",
    ]);
  });

  test("a file changed since install is kept, and --purge removes it", () => {
    const f = installed();
    f.current["/etc/skiff/config.toml"] = sha("9");
    expect(planUninstall(f, { purge: false })).toContainEqual({ op: "keep", path: "/etc/skiff/config.toml", why: expect.stringContaining("changed since install") });
    f.serving = false;
    expect(planUninstall(f, { purge: true })).toContainEqual({ op: "remove", path: "/etc/skiff/config.toml", what: "installed config" });
  });

  test("a file already gone is only noted; with its backup there, the backup comes back", () => {
    const f = installed();
    f.current["/usr/local/bin/skiff"] = undefined;
    f.current["/etc/crictl.yaml"] = undefined;
    const steps = planUninstall(f, { purge: false });
    expect(steps).toContainEqual({ op: "note", text: "/usr/local/bin/skiff is gone already" });
    expect(steps).toContainEqual({ op: "restore", path: "/etc/crictl.yaml", from: "/etc/crictl.yaml.before-skiff" });
  });

  test("--purge removes the images and paths.root and paths.state too", () => {
    const steps = summary(planUninstall(installed(), { purge: true }));
    expect(steps).toContain("remove /var/lib/skiff/import/skiff-bundle-bbbb.tar");
    expect(steps).toContain("purge /var/lib/skiff");
    expect(steps).toContain("purge /run/skiff");
  });

  test("--purge is refused while pods' mounts are under the data dirs, before any step", () => {
    const f = installed();
    f.mounts = ["/run/skiff/ns/net/abc", "/var/lib/skiff/containers/x/rootfs"];
    expect(() => planUninstall(f, { purge: true })).toThrow(FailedPreconditionError);
    expect(() => planUninstall(f, { purge: true })).toThrow(/2 mount\(s\).*crictl rmp -fa/);
    expect(() => planUninstall(f, { purge: false })).not.toThrow();
  });

  test("--purge is refused while a skiff not run by systemd still serves", () => {
    const f = installed();
    f.systemd = false;
    expect(() => planUninstall(f, { purge: true })).toThrow(/still serves/);
  });

  test("without systemd nothing is run", () => {
    const f = installed();
    f.systemd = false;
    expect(planUninstall(f, { purge: false }).some((s) => s.op === "run")).toBe(false);
  });
});
