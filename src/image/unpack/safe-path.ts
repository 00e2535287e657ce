/**
 * Keeping tar paths inside the snapshot directory (DESIGN.md rule 5).
 *
 * Policy, chosen for being simple to reason about:
 * - Names are cleaned lexically: leading `/` and `.` components go (absolute names are
 *   relative to the image root, as every tar of a rootfs has them), and any `..`
 *   component is refused outright: no real layer needs one.
 * - Every parent directory on the way to an entry must be a real directory. A parent
 *   that is a symlink is refused, wherever that symlink points; we never resolve
 *   symlinks, not even "within the root" as a chroot would. Layers made by docker,
 *   buildkit or containerd never write through a symlink (their diffs record the real
 *   path), and each layer is unpacked into its own empty directory, so the only
 *   symlinks there are ones this very layer made.
 * - The final component is never followed either: files are created with
 *   O_CREAT|O_EXCL|O_NOFOLLOW after whatever was there is removed, and removal unlinks
 *   symlinks instead of following them.
 *
 * This relies on the snapshot directory being private to skiff while it is written
 * (nothing else creates entries in it concurrently), which the snapshotter guarantees.
 */
import { chmodSync, lstatSync, mkdirSync, rmSync, type Stats, statSync } from "node:fs";
import { UnpackError } from "./errors.ts";

/**
 * The components of a tar entry name relative to the root: `/`, `.` and empty
 * components dropped, `..` and NUL refused. `[]` means the root itself.
 */
export function splitEntryPath(name: string, entry: string = name): string[] {
  if (name.includes("\0")) throw new UnpackError("path contains a NUL byte", entry);
  const parts: string[] = [];
  for (const p of name.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") throw new UnpackError(`path ${JSON.stringify(name)} has a ".." component; refusing it`, entry);
    parts.push(p);
  }
  return parts;
}

/** lstat that returns null for a missing path. */
export function lstatOrNull(path: string): Stats | null {
  // No exception for a missing path: most entries of a layer are new, and an ENOENT
  // error per entry cost 4.8 us against 0.9 and left an Error with its stack behind.
  return lstatSync(path, { throwIfNoEntry: false }) ?? null;
}

/**
 * Called for a parent component that exists but is neither a directory nor a symlink.
 * Return true after replacing it with a directory; false to refuse the entry.
 */
export type NotDirHandler = (rel: string) => boolean;

/** The snapshot directory being written, with the checks above. Paths are `/`-joined relative paths. */
export class SafeTree {
  readonly root: string;
  /** Relative paths known to be real directories (made or checked by us). */
  readonly #dirs = new Set<string>([""]);

  constructor(root: string) {
    const st = statSync(root);
    if (!st.isDirectory()) throw new UnpackError(`destination "${root}" is not a directory`);
    this.root = root.replace(/\/+$/, "") || "/";
  }

  /** The absolute path of a relative one. */
  abs(rel: string): string {
    if (rel === "") return this.root;
    return this.root === "/" ? `/${rel}` : `${this.root}/${rel}`;
  }

  /**
   * Makes every parent of `parts` a real directory: missing ones are created (mode 0755,
   * owned by us, as tar does for implicit parents), symlinks are refused, and other
   * non-directories go to `onNotDir`.
   */
  ensureParents(parts: readonly string[], entry: string, onNotDir?: NotDirHandler): void {
    let rel = "";
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel === "" ? parts[i]! : `${rel}/${parts[i]}`;
      if (this.#dirs.has(rel)) continue;
      const abs = this.abs(rel);
      const st = lstatOrNull(abs);
      if (st === null) {
        mkdirSync(abs, { mode: 0o755 });
        chmodSync(abs, 0o755); // umask-proof
      } else if (st.isSymbolicLink()) {
        throw new UnpackError(`parent "${rel}" is a symlink; refusing to write through it`, entry);
      } else if (!st.isDirectory() && !onNotDir?.(rel)) {
        throw new UnpackError(`parent "${rel}" is not a directory`, entry);
      }
      this.#dirs.add(rel);
    }
  }

  /**
   * Checks, without creating anything, that every parent of `parts` is a real directory;
   * for hardlink targets. Returns a reason when not.
   */
  checkParents(parts: readonly string[]): string | undefined {
    let rel = "";
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel === "" ? parts[i]! : `${rel}/${parts[i]}`;
      if (this.#dirs.has(rel)) continue;
      const st = lstatOrNull(this.abs(rel));
      if (st === null) return `"${rel}" does not exist in this layer`;
      if (st.isSymbolicLink()) return `"${rel}" is a symlink`;
      if (!st.isDirectory()) return `"${rel}" is not a directory`;
      this.#dirs.add(rel);
    }
    return undefined;
  }

  /** Records that `rel` is now a real directory. */
  noteDir(rel: string): void {
    this.#dirs.add(rel);
  }

  /**
   * Removes whatever is at `rel`: a directory with its contents, anything else by
   * unlink (symlinks are never followed), and forgets what was known below it.
   */
  remove(rel: string): void {
    if (rel === "") throw new UnpackError("refusing to remove the snapshot root");
    const wasDir = this.#dirs.has(rel) || lstatOrNull(this.abs(rel))?.isDirectory() === true;
    rmSync(this.abs(rel), { recursive: true, force: true });
    if (!wasDir) return;
    // Forget everything rather than scan for paths below `rel`: a scan per removal would
    // let a crafted layer make extraction quadratic. Entries after this re-check parents.
    this.#dirs.clear();
    this.#dirs.add("");
  }
}
