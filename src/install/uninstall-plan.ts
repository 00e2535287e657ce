/**
 * What `skiff uninstall` does, from the install manifest and the state of the files it
 * names. It removes what install wrote and is unchanged since, puts back what install
 * moved aside, and leaves everything else: a file changed since install (the operator's
 * edits), images, pods and skiff's state. `--purge` also removes changed files, the
 * images install dropped, and `paths.root` and `paths.state`, but only once no pod is
 * left (no mount under them) and skiff no longer serves. Pure.
 */
import { FailedPreconditionError } from "../errors.ts";
import { INSTALL_MANIFEST_PATH, type InstallManifest } from "./install-manifest.ts";
import type { Step } from "./steps.ts";
import { UNIT_NAME } from "./systemd-unit.ts";

export type UninstallFacts = {
  manifest: InstallManifest;
  /** SHA-256 of each recorded file as it is now; undefined when it is gone. */
  current: Record<string, string | undefined>;
  /** Backup paths that exist. */
  backups: string[];
  systemd: boolean;
  /** `paths.root` and `paths.state` of the config skiff ran with. */
  dataDirs: string[];
  /** Mount points under those dirs: pods are still there. */
  mounts: string[];
  /** Something answers on skiff's socket. */
  serving: boolean;
};

const depth = (p: string) => p.split("/").length;

function purgeGuard(f: UninstallFacts): void {
  if (f.mounts.length > 0) {
    const shown = f.mounts.slice(0, 3).join(", ");
    throw new FailedPreconditionError(
      `refusing to purge: ${f.mounts.length} mount(s) under ${f.dataDirs.join(" and ")} (${shown}${f.mounts.length > 3 ? ", ..." : ""}) belong to pods that still exist; remove them first (crictl rmp -fa) while skiff runs, then uninstall --purge again`,
    );
  }
  if (f.serving && !f.systemd) throw new FailedPreconditionError("refusing to purge: skiff still serves on its socket; stop it first");
}

/** Every step of an uninstall, in order. Throws before any step when `--purge` would pull data out from under pods. */
export function planUninstall(f: UninstallFacts, opts: { purge: boolean }): Step[] {
  if (opts.purge) purgeGuard(f);
  const steps: Step[] = [];
  const hasUnit = f.manifest.files.some((x) => x.role === "unit");
  if (f.systemd && hasUnit) steps.push({ op: "run", argv: ["systemctl", "disable", "--now", UNIT_NAME] });

  for (const file of f.manifest.files) {
    const now = f.current[file.path];
    const backup = file.backup !== undefined && f.backups.includes(file.backup) ? file.backup : undefined;
    if (now === undefined) {
      steps.push(backup ? { op: "restore", path: file.path, from: backup } : { op: "note", text: `${file.path} is gone already` });
    } else if (file.role === "images" && !opts.purge) {
      steps.push({ op: "keep", path: file.path, why: "images stay (uninstall --purge removes them)" });
    } else if (now !== file.sha256 && !opts.purge) {
      steps.push({ op: "keep", path: file.path, why: "changed since install (uninstall --purge removes it)" });
    } else if (backup) {
      steps.push({ op: "restore", path: file.path, from: backup });
    } else {
      steps.push({ op: "remove", path: file.path, what: `installed ${file.role}` });
    }
  }
  if (opts.purge) {
    for (const dir of f.dataDirs) steps.push({ op: "purge", path: dir, what: "skiff's images, store and state" });
  }
  steps.push({ op: "remove", path: INSTALL_MANIFEST_PATH, what: "the install record" });
  for (const dir of [...f.manifest.dirs].sort((a, b) => depth(b) - depth(a))) steps.push({ op: "rmdir", path: dir });
  if (f.systemd && hasUnit) steps.push({ op: "run", argv: ["systemctl", "daemon-reload"] });
  return steps;
}
