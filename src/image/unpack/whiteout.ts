/**
 * OCI whiteouts and their overlayfs form.
 *
 * In a layer tar (https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts):
 * `a/.wh.b` deletes `a/b` of the lower layers, and `a/.wh..wh..opq` hides every lower
 * entry of `a` (an opaque directory). Names starting `.wh..wh.` are AUFS bookkeeping
 * (e.g. `.wh..wh.plnk`) and carry nothing.
 *
 * In an overlayfs layer directory (https://docs.kernel.org/filesystems/overlayfs.html,
 * "whiteouts and opaque directories"): a whiteout is a character device 0/0 with the
 * deleted name, and an opaque directory has the xattr `trusted.overlay.opaque` = `y`.
 */
import { makedev, S_IFCHR } from "../../platform/constants.ts";
import type { Platform } from "../../platform/types.ts";
import { UnpackError } from "./errors.ts";

export const WHITEOUT_PREFIX = ".wh.";
export const WHITEOUT_META_PREFIX = ".wh..wh.";
export const WHITEOUT_OPAQUE = ".wh..wh..opq";
export const OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque";

/** What a tar entry name means as a whiteout, if it is one. */
export type WhiteoutKind =
  | { kind: "opaque"; dir: string[] }
  | { kind: "whiteout"; target: string[] }
  | { kind: "meta" };

/** Classifies cleaned path components; undefined for an ordinary entry. */
export function classifyWhiteout(parts: readonly string[], entry: string): WhiteoutKind | undefined {
  const base = parts[parts.length - 1];
  if (base === undefined || !base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = parts.slice(0, -1);
  if (base === WHITEOUT_OPAQUE) return { kind: "opaque", dir };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: "meta" };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === "" || name === "." || name === "..") {
    throw new UnpackError(`whiteout names no file (${JSON.stringify(base)})`, entry);
  }
  return { kind: "whiteout", target: [...dir, name] };
}

/** Creates the overlayfs whiteout for a deleted name: a char device 0/0. */
export function makeWhiteout(platform: Platform, path: string): void {
  platform.mknod(path, S_IFCHR, makedev(0, 0));
}

const OPAQUE_VALUE = new TextEncoder().encode("y");

/** Marks a directory opaque for overlayfs. */
export function markOpaque(platform: Platform, dir: string): void {
  platform.lsetxattr(dir, OVERLAY_OPAQUE_XATTR, OPAQUE_VALUE, 0);
}

/**
 * True for xattrs that steer overlayfs itself (`trusted.overlay.*`, and `user.overlay.*`
 * under the `userxattr` mount option): redirects, metacopy, origin. A layer must not set
 * them, or it could make overlayfs show files from elsewhere; whiteouts are expressed
 * with `.wh.` names instead.
 */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
}
