/**
 * Writes the entries of a Windows layer tar into a folder in the layout the layer calls
 * take (hcsshim's legacy layer writer): everything lives under `Files/` (the container's
 * C:\), `Hives/` (the registry hives) or `UtilityVM/` (a base layer's utility VM image).
 * A whiteout (`.wh.name`) under `Files/` is not written: it is returned as a tombstone
 * (`Files\dir\name`), which the importer removes from the layer once vmcompute has
 * imported it. The same containment rules as for Linux layers hold (safe-path.ts).
 *
 * Not applied: the PAX `MSWINDOWS.*` records (security descriptors, file attributes) and
 * ownership; files get the folder's inherited ACLs. On a real node this matters for
 * images that rely on per-file ACLs; it is listed in the README.
 */
import { linkSync, mkdirSync, symlinkSync } from "node:fs";
import type { ApplyStats } from "./apply-entries.ts";
import { UnpackError } from "./errors.ts";
import { lstatOrNull, SafeTree, splitEntryPath } from "./safe-path.ts";
import type { TarEntry } from "./tar-reader.ts";
import { WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from "./whiteout.ts";
import { writeBody } from "./write-file.ts";

/** The top folders a Windows layer may have. */
export const WINDOWS_LAYER_ROOTS = ["Files", "Hives", "UtilityVM"] as const;

export interface WindowsApplyStats extends ApplyStats {
  /** Paths this layer deletes from the layers below, `Files\...` with backslashes. */
  tombstones: string[];
}

export async function applyWindowsEntries(entries: AsyncIterable<TarEntry>, opts: { dest: string; signal?: AbortSignal }): Promise<WindowsApplyStats> {
  const tree = new SafeTree(opts.dest);
  const stats: WindowsApplyStats = { entries: 0, size: 0, warnings: [], tombstones: [] };
  for await (const e of entries) {
    opts.signal?.throwIfAborted();
    stats.entries++;
    const parts = splitEntryPath(e.name);
    if (parts.length === 0) continue;
    const root = parts[0] ?? "";
    if (!(WINDOWS_LAYER_ROOTS as readonly string[]).some((r) => r.toLowerCase() === root.toLowerCase())) {
      throw new UnpackError(`not a Windows layer: the entry is outside ${WINDOWS_LAYER_ROOTS.join("/, ")}/`, e.name);
    }
    const base = parts[parts.length - 1] ?? "";
    if (base.startsWith(WHITEOUT_PREFIX)) {
      if (base.startsWith(WHITEOUT_META_PREFIX) && base !== WHITEOUT_OPAQUE) continue;
      if (base === WHITEOUT_OPAQUE) throw new UnpackError("opaque directories do not exist in Windows layers", e.name);
      if (root.toLowerCase() !== "files") throw new UnpackError("a Windows layer may only delete files under Files/", e.name);
      stats.tombstones.push([...parts.slice(0, -1), base.slice(WHITEOUT_PREFIX.length)].join("\\"));
      continue;
    }
    tree.ensureParents(parts, e.name);
    const rel = parts.join("/");
    const abs = tree.abs(rel);
    const existing = lstatOrNull(abs);
    if (existing && !(e.type === "dir" && existing.isDirectory())) tree.remove(rel);
    switch (e.type) {
      case "dir":
        if (!existing?.isDirectory()) mkdirSync(abs, { mode: 0o755 });
        tree.noteDir(rel);
        break;
      case "file":
        stats.size += await writeBody(abs, e.body);
        break;
      case "link": {
        const target = splitEntryPath(e.linkname, e.name);
        const why = tree.checkParents(target);
        const st = why === undefined ? lstatOrNull(tree.abs(target.join("/"))) : null;
        if (!st || st.isDirectory()) throw new UnpackError(`hardlink target ${JSON.stringify(e.linkname)} is not a file of this layer`, e.name);
        linkSync(tree.abs(target.join("/")), abs);
        break;
      }
      case "symlink":
        if (e.linkname === "") throw new UnpackError("symlink has an empty target", e.name);
        symlinkSync(e.linkname, abs);
        break;
      default:
        throw new UnpackError(`a ${e.type} cannot be in a Windows layer`, e.name);
    }
  }
  return stats;
}
