/**
 * The mounts skiff makes on the host for pods and containers: a container's overlay
 * rootfs and a pod's /dev/shm. Made through the Platform, undone idempotently, so a
 * rollback or a recovery after a crash can call the undo whatever state it finds.
 */
import * as fs from "node:fs";
import { MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT } from "../platform/index.ts";
import type { Platform } from "../platform/types.ts";
import { SyscallError } from "../errors.ts";

/** Characters that would break overlayfs's comma/colon separated option string. */
const OVERLAY_UNSAFE = /[,:]/;

export type RootfsLayout = {
  /** Unpacked image layers, top first. Empty for an image with no layers. */
  lowers: readonly string[];
  /** Writable layer and overlayfs work dir; omit both for a read-only rootfs. */
  upper?: string;
  work?: string;
  /** An empty dir used as the only lower layer when the image has none. */
  emptyLower?: string;
  target: string;
};

/** Mounts an overlay of the layers at `target` (a read-only bind for a single layer and no upper). */
export function mountRootfs(platform: Platform, l: RootfsLayout): void {
  let lowers = [...l.lowers];
  if (lowers.length === 0) {
    if (!l.emptyLower) throw new Error("an image with no layers needs an empty lower dir");
    fs.mkdirSync(l.emptyLower, { recursive: true });
    lowers = [l.emptyLower];
  }
  fs.mkdirSync(l.target, { recursive: true });
  if (!l.upper && lowers.length === 1) {
    platform.mount(lowers[0]!, l.target, null, MS_BIND | MS_REC);
    platform.mount(null, l.target, null, MS_BIND | MS_REMOUNT | MS_RDONLY);
    return;
  }
  for (const p of [...lowers, l.upper ?? "", l.work ?? ""]) {
    if (OVERLAY_UNSAFE.test(p)) throw new Error(`overlay layer path "${p}" holds "," or ":"`);
  }
  let data = `lowerdir=${lowers.join(":")}`;
  if (l.upper && l.work) {
    fs.mkdirSync(l.upper, { recursive: true });
    fs.mkdirSync(l.work, { recursive: true });
    data += `,upperdir=${l.upper},workdir=${l.work}`;
  }
  platform.mount("overlay", l.target, "overlay", 0, data);
}

/** Mounts a pod's private /dev/shm: a tmpfs of `size` bytes. */
export function mountShm(platform: Platform, target: string, size: number): void {
  fs.mkdirSync(target, { recursive: true });
  platform.mount("shm", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${size}`);
}

/**
 * Detaches whatever is mounted at `target`, as often as something is (mounts can stack).
 * A target that is not a mount point, or does not exist, is fine.
 */
export function unmountAll(platform: Platform, target: string): void {
  for (let i = 0; i < 16; i++) {
    try {
      platform.umount2(target, MNT_DETACH);
    } catch (err) {
      if (err instanceof SyscallError && (err.code === "EINVAL" || err.code === "ENOENT")) return;
      throw err;
    }
  }
}
