/**
 * The record `skiff install` keeps of what it wrote, so `skiff uninstall` removes that
 * and nothing else. Paths are the host's (as seen from inside `--root`), each file with
 * the SHA-256 it was written with: a file changed since then is someone else's now and
 * uninstall leaves it. Pure.
 */

/** Fixed, so uninstall finds it whatever the config says (and after the config is gone). */
export const INSTALL_MANIFEST_PATH = "/var/lib/skiff/install-manifest.json";

/** What a file is for; `images` files are data, removed only by `uninstall --purge`. */
export type FileRole = "binary" | "unit" | "config" | "crictl" | "cni" | "images";

export type RecordedFile = {
  path: string;
  role: FileRole;
  sha256: string;
  /** Where the file that was there before was moved (`--force` over /etc/crictl.yaml); uninstall puts it back. */
  backup?: string;
};

export type InstallManifest = {
  manifestVersion: 1;
  skiffVersion: string;
  installedAt: string;
  files: RecordedFile[];
  /** Directories install created, removed by uninstall when empty. */
  dirs: string[];
};

const ROLES: readonly FileRole[] = ["binary", "unit", "config", "crictl", "cni", "images"];

/** Parses and checks a manifest file's text; throws naming the problem. */
export function parseInstallManifest(text: string, source = INSTALL_MANIFEST_PATH): InstallManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON`, { cause: err });
  }
  const m = doc as Partial<InstallManifest>;
  if (m === null || typeof m !== "object" || m.manifestVersion !== 1) throw new Error(`${source}: not a skiff install manifest (manifestVersion 1)`);
  if (!Array.isArray(m.files) || !Array.isArray(m.dirs)) throw new Error(`${source}: "files" and "dirs" must be arrays`);
  for (const f of m.files) {
    const ok =
      typeof f?.path === "string" && f.path.startsWith("/") && !f.path.split("/").includes("..") &&
      ROLES.includes(f.role) && typeof f.sha256 === "string" && /^[0-9a-f]{64}$/.test(f.sha256) &&
      (f.backup === undefined || (typeof f.backup === "string" && f.backup.startsWith("/")));
    if (!ok) throw new Error(`${source}: bad file entry ${JSON.stringify(f)}`);
  }
  if (!m.dirs.every((d) => typeof d === "string" && d.startsWith("/") && !d.split("/").includes(".."))) {
    throw new Error(`${source}: bad "dirs" entry`);
  }
  return m as InstallManifest;
}

/**
 * The manifest after another install: what this one wrote, plus what earlier installs
 * wrote that is still there and was not written again (a config written by the first
 * install and kept by the second is still install's to remove). A file written again
 * keeps the backup an earlier install made, which holds the file from before skiff.
 */
export function mergeManifests(previous: InstallManifest | undefined, written: RecordedFile[], dirs: string[], still: (path: string) => boolean, meta: { skiffVersion: string; installedAt: string }): InstallManifest {
  const byPath = new Map<string, RecordedFile>();
  for (const f of previous?.files ?? []) if (still(f.path)) byPath.set(f.path, f);
  for (const f of written) {
    const before = byPath.get(f.path)?.backup;
    byPath.set(f.path, f.backup === undefined && before !== undefined ? { ...f, backup: before } : f);
  }
  return {
    manifestVersion: 1,
    ...meta,
    files: [...byPath.values()],
    dirs: [...new Set([...(previous?.dirs ?? []), ...dirs])],
  };
}
