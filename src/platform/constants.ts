/**
 * Numeric constants for the calls on `Platform`, so code outside `src/platform/` never
 * hard-codes a flag. Values are the Linux UAPI ones; those listed here are identical on
 * x86_64 and aarch64 (see linux/include/uapi/linux/sched.h, mount.h, stat.h, magic.h:
 * https://github.com/torvalds/linux/tree/master/include/uapi/linux).
 *
 * Mount flags are `unsigned long` in C; flags at bit 31 (`MS_NOUSER`) would turn negative
 * under JS bitwise operators, so the Linux platform passes `flags >>> 0` to libc.
 */

// clone(2) / unshare(2) / setns(2) namespace flags.
export const CLONE_NEWNS = 0x0002_0000;
export const CLONE_NEWCGROUP = 0x0200_0000;
export const CLONE_NEWUTS = 0x0400_0000;
export const CLONE_NEWIPC = 0x0800_0000;
export const CLONE_NEWUSER = 0x1000_0000;
export const CLONE_NEWPID = 0x2000_0000;
export const CLONE_NEWNET = 0x4000_0000;

// mount(2) flags.
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOSYMFOLLOW = 0x100;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_SILENT = 0x8000;
export const MS_POSIXACL = 0x1_0000;
export const MS_UNBINDABLE = 0x2_0000;
export const MS_PRIVATE = 0x4_0000;
export const MS_SLAVE = 0x8_0000;
export const MS_SHARED = 0x10_0000;
export const MS_RELATIME = 0x20_0000;
export const MS_STRICTATIME = 0x100_0000;
export const MS_LAZYTIME = 0x200_0000;

// umount2(2) flags.
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const MNT_EXPIRE = 0x4;
export const UMOUNT_NOFOLLOW = 0x8;

// File type bits of st_mode, for mknod(2) and for reading lstat results.
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

// setxattr(2) flags.
export const XATTR_CREATE = 0x1;
export const XATTR_REPLACE = 0x2;

// statfs(2) f_type magic numbers that skiff cares about.
export const TMPFS_MAGIC = 0x0102_1994;
export const OVERLAYFS_SUPER_MAGIC = 0x794c_7630;
export const NSFS_MAGIC = 0x6e73_6673;
export const PROC_SUPER_MAGIC = 0x9fa0;
export const SYSFS_MAGIC = 0x6265_6572;
export const CGROUP2_SUPER_MAGIC = 0x6367_7270;
export const EXT4_SUPER_MAGIC = 0xef53;
export const XFS_SUPER_MAGIC = 0x5846_5342;
export const BTRFS_SUPER_MAGIC = 0x9123_683e;

/**
 * Encodes a device number the way glibc's `makedev` does (the 64-bit dev_t layout:
 * low 8 bits of minor, 12 bits of major, then the high bits of each), for `mknod`.
 */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return (
    ((ma & 0xfffn) << 8n) |
    ((ma & 0xffff_f000n) << 32n) |
    (mi & 0xffn) |
    ((mi & 0xffff_ff00n) << 12n)
  );
}
