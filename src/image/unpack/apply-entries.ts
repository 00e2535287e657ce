/**
 * Writes tar entries into an overlay-ready layer directory: one directory per layer,
 * whiteouts as overlayfs whiteouts, nothing outside the directory (see safe-path.ts
 * for the path policy). Ownership, modes (setuid/setgid/sticky included), xattrs and
 * times are applied; directory modes and times last, once their contents are written.
 */
import { chmodSync, linkSync, lutimesSync, mkdirSync, symlinkSync } from "node:fs";
import { makedev, S_IFBLK, S_IFCHR, S_IFIFO } from "../../platform/constants.ts";
import type { Platform } from "../../platform/types.ts";
import { UnpackError } from "./errors.ts";
import { lstatOrNull, SafeTree, splitEntryPath } from "./safe-path.ts";
import type { TarEntry } from "./tar-reader.ts";
import { classifyWhiteout, isOverlayXattr, makeWhiteout, markOpaque } from "./whiteout.ts";
import { writeBody } from "./write-file.ts";

export interface ApplyEntriesOptions {
  platform: Platform;
  /** The (normally empty) layer directory; must exist. */
  dest: string;
  signal?: AbortSignal;
}

export interface ApplyStats {
  /** Entries read from the tar, whiteouts included. */
  entries: number;
  /** Bytes of file content written. */
  size: number;
  /** Things skipped on purpose (xattrs the filesystem refuses, overlay xattrs); at most `MAX_WARNINGS`. */
  warnings: string[];
}

export const MAX_WARNINGS = 100;

const DEVICE_TYPES = { char: S_IFCHR, block: S_IFBLK, fifo: S_IFIFO } as const;

/** Applies `entries` to `opts.dest`. Throws `UnpackError` naming the entry at fault. */
export async function applyEntries(entries: AsyncIterable<TarEntry>, opts: ApplyEntriesOptions): Promise<ApplyStats> {
  const writer = new LayerWriter(opts.platform, opts.dest);
  for await (const entry of entries) {
    opts.signal?.throwIfAborted();
    try {
      await writer.apply(entry);
    } catch (err) {
      if (err instanceof UnpackError) {
        if (err.entry !== undefined) throw err;
        // Same class (a limit stays a limit), now naming the entry being written.
        const Same = err.constructor as typeof UnpackError;
        throw new Same(err.message, entry.name, { cause: err });
      }
      throw new UnpackError((err as Error).message, entry.name, { cause: err });
    }
  }
  writer.finish();
  return writer.stats;
}

interface DirAttrs {
  mode: number;
  atime: number;
  mtime: number;
}

class LayerWriter {
  readonly stats: ApplyStats = { entries: 0, size: 0, warnings: [] };
  readonly #platform: Platform;
  readonly #tree: SafeTree;
  /** Whiteout devices this layer made, by relative path. */
  readonly #whiteouts = new Set<string>();
  /** Directory modes and times, applied by `finish`. */
  readonly #dirs = new Map<string, DirAttrs>();

  constructor(platform: Platform, dest: string) {
    this.#platform = platform;
    this.#tree = new SafeTree(dest);
  }

  async apply(e: TarEntry): Promise<void> {
    this.stats.entries++;
    const parts = splitEntryPath(e.name);
    const wh = classifyWhiteout(parts, e.name);
    if (wh?.kind === "meta") return;
    if (wh?.kind === "opaque") {
      const dir = this.#dir(wh.dir, e.name);
      markOpaque(this.#platform, this.#tree.abs(dir));
      return;
    }
    if (wh?.kind === "whiteout") return this.#whiteout(wh.target, e.name);

    if (parts.length === 0) {
      if (e.type !== "dir") throw new UnpackError(`a ${e.type} cannot replace the root directory`, e.name);
      return this.#attrs("", e);
    }
    this.#tree.ensureParents(parts, e.name, this.#replaceWhiteoutParent);
    const rel = parts.join("/");
    const abs = this.#tree.abs(rel);
    if (e.type === "link") return this.#hardlink(rel, e);

    const existing = lstatOrNull(abs);
    let replacedWhiteout = false;
    if (existing && !(e.type === "dir" && existing.isDirectory())) {
      this.#tree.remove(rel);
      replacedWhiteout = this.#whiteouts.delete(rel);
    }
    switch (e.type) {
      case "file":
        this.stats.size += await writeBody(abs, e.body);
        break;
      case "dir":
        if (!existing?.isDirectory()) mkdirSync(abs, { mode: 0o700 });
        this.#tree.noteDir(rel);
        // The layer deleted the lower directory, then made a new one: lower entries must not show through.
        if (replacedWhiteout) markOpaque(this.#platform, abs);
        break;
      case "symlink":
        if (e.linkname === "") throw new UnpackError("symlink has an empty target", e.name);
        symlinkSync(e.linkname, abs);
        break;
      case "char":
      case "block":
      case "fifo": {
        const dev = e.type === "fifo" ? 0 : makedev(e.devmajor, e.devminor);
        this.#platform.mknod(abs, DEVICE_TYPES[e.type] | 0o600, dev);
        break;
      }
    }
    this.#attrs(rel, e);
  }

  /** Directory modes and times, deepest first (so a read-only parent cannot block its children). */
  finish(): void {
    const order = [...this.#dirs.keys()].sort((a, b) => depth(b) - depth(a));
    for (const rel of order) {
      const a = this.#dirs.get(rel)!;
      const abs = this.#tree.abs(rel);
      // A later entry may have replaced the directory or one of its parents, even with a
      // symlink (`a/etc/` then `a -> /`): check the whole path again before chmod follows it.
      if (rel !== "" && this.#tree.checkParents(rel.split("/")) !== undefined) continue;
      const st = lstatOrNull(abs);
      if (!st?.isDirectory()) continue;
      chmodSync(abs, a.mode);
      lutimesSync(abs, a.atime, a.mtime);
    }
  }

  /** Owner, then mode (chown clears setuid/setgid), xattrs (chown clears capabilities), then times. */
  #attrs(rel: string, e: TarEntry): void {
    const abs = this.#tree.abs(rel);
    this.#platform.lchown(abs, e.uid, e.gid);
    const atime = e.atime ?? e.mtime;
    if (e.type === "dir") this.#dirs.set(rel, { mode: e.mode, atime, mtime: e.mtime });
    else if (e.type !== "symlink") chmodSync(abs, e.mode);
    for (const [name, value] of e.xattrs) this.#xattr(abs, e.name, name, value);
    if (e.type !== "dir") lutimesSync(abs, atime, e.mtime);
  }

  #xattr(abs: string, entry: string, name: string, value: Uint8Array): void {
    if (isOverlayXattr(name)) {
      this.#warn(`entry ${JSON.stringify(entry)}: xattr "${name}" steers overlayfs; skipped`);
      return;
    }
    try {
      this.#platform.lsetxattr(abs, name, value, 0);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw err;
      this.#warn(`entry ${JSON.stringify(entry)}: xattr "${name}" not supported by the filesystem; skipped`);
    }
  }

  #warn(msg: string): void {
    if (this.stats.warnings.length < MAX_WARNINGS) this.stats.warnings.push(msg);
  }

  /** Ensures `parts` is a directory of this layer (creating it and its parents) and returns its relative path. */
  #dir(parts: readonly string[], entry: string): string {
    const rel = parts.join("/");
    if (rel === "") return rel;
    this.#tree.ensureParents([...parts, "_"], entry, this.#replaceWhiteoutParent);
    return rel;
  }

  /**
   * A whiteout (`.wh.<name>`). Per the OCI layer spec a whiteout only hides lower layers:
   * an entry of the same layer with that name stays. A same-layer file already hides the
   * lower one, so nothing is needed; a same-layer directory is made opaque, so the lower
   * directory's entries stay hidden while this layer's remain.
   */
  #whiteout(target: string[], entry: string): void {
    this.#tree.ensureParents(target, entry, this.#replaceWhiteoutParent);
    const rel = target.join("/");
    const abs = this.#tree.abs(rel);
    const existing = lstatOrNull(abs);
    if (existing?.isDirectory()) markOpaque(this.#platform, abs);
    if (existing) return;
    makeWhiteout(this.#platform, abs);
    this.#whiteouts.add(rel);
  }

  /**
   * A parent that this layer whited out (`.wh.a` then `a/b`): the layer deleted the lower
   * `a` and made a new one, so it becomes an opaque directory. Anything else that is not
   * a directory is refused by the caller.
   */
  readonly #replaceWhiteoutParent = (rel: string): boolean => {
    if (!this.#whiteouts.has(rel)) return false;
    this.#tree.remove(rel);
    this.#whiteouts.delete(rel);
    const abs = this.#tree.abs(rel);
    mkdirSync(abs, { mode: 0o755 });
    chmodSync(abs, 0o755);
    markOpaque(this.#platform, abs);
    return true;
  };

  /**
   * A hardlink. Its target must already be in this layer (tar writers emit the first
   * name of an inode as a file and later names as links to it), reached through real
   * directories only, and not be a directory. A target in a lower layer cannot be linked
   * from a separate layer directory, so it is refused; no tool that builds images emits
   * one. Link entries carry no attributes of their own: the inode has them already.
   */
  #hardlink(rel: string, e: TarEntry): void {
    const fail = (why: string) => new UnpackError(`hardlink target ${JSON.stringify(e.linkname)} ${why}`, e.name);
    const target = splitEntryPath(e.linkname, e.name);
    if (target.length === 0) throw fail("is the root directory");
    const targetRel = target.join("/");
    if (targetRel === rel) throw fail("is the entry itself");
    const why = this.#tree.checkParents(target);
    if (why) throw fail(`is not reachable: ${why}`);
    const st = lstatOrNull(this.#tree.abs(targetRel));
    if (!st || this.#whiteouts.has(targetRel)) {
      throw fail("is not in this layer (links to files of lower layers are not supported)");
    }
    if (st.isDirectory()) throw fail("is a directory");
    if (lstatOrNull(this.#tree.abs(rel))) {
      this.#tree.remove(rel);
      this.#whiteouts.delete(rel);
    }
    // link(2) does not follow a symlink target: the new name shares the symlink's inode.
    linkSync(this.#tree.abs(targetRel), this.#tree.abs(rel));
  }
}

const depth = (rel: string): number => (rel === "" ? 0 : rel.split("/").length);
