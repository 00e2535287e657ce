/**
 * The platform seam (DESIGN.md rule 2): `createPlatform` is the one place that switches
 * on the OS. Both implementations are imported statically so `bun build --compile` puts
 * them in every binary; neither loads a native library until it is constructed (Linux)
 * or first used (Windows).
 */
import { NotSupportedError } from "../errors.ts";
import { createLinuxPlatform } from "./linux/index.ts";
import type { Platform } from "./types.ts";
import { createWindowsPlatform } from "./windows/index.ts";

/** The `Platform` for `os` (default: the running OS). Throws `NotSupportedError` for other OSes. */
export function createPlatform(os: string = process.platform): Platform {
  switch (os) {
    case "linux":
      return createLinuxPlatform();
    case "win32":
    case "windows":
      return createWindowsPlatform();
    default:
      throw new NotSupportedError(`os "${os}" is not supported`);
  }
}

export {
  BTRFS_SUPER_MAGIC,
  CGROUP2_SUPER_MAGIC,
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  EXT4_SUPER_MAGIC,
  makedev,
  MNT_DETACH,
  MNT_EXPIRE,
  MNT_FORCE,
  MS_BIND,
  MS_DIRSYNC,
  MS_LAZYTIME,
  MS_MANDLOCK,
  MS_MOVE,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_NOSYMFOLLOW,
  MS_POSIXACL,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SHARED,
  MS_SILENT,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
  MS_UNBINDABLE,
  NSFS_MAGIC,
  OVERLAYFS_SUPER_MAGIC,
  PROC_SUPER_MAGIC,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  SYSFS_MAGIC,
  TMPFS_MAGIC,
  UMOUNT_NOFOLLOW,
  XATTR_CREATE,
  XATTR_REPLACE,
  XFS_SUPER_MAGIC,
} from "./constants.ts";
export { createLinuxPlatform } from "./linux/index.ts";
export { createWindowsPlatform } from "./windows/index.ts";
export type { ClockSync, NamespaceKind, PinOptions, Platform, PlatformFactory, PlatformOp, StatFs } from "./types.ts";
