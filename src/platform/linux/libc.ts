/**
 * The libc symbols skiff calls, and the errno plumbing around them. `openLibc` is called
 * only by `createLinuxPlatform`, never at import, so this module loads on any OS.
 *
 * Needs glibc >= 2.33 (the first to export `mknod` as a real symbol; Debian 12 has 2.36).
 * Struct layouts below are for LP64 glibc (x86_64 and aarch64 share them).
 */
import { CString, dlopen, read } from "bun:ffi";
import { SyscallError } from "../../errors.ts";
import { errnoName } from "./errno.ts";

// open(2) flags; these three have the same values on x86_64 and aarch64 (O_NOFOLLOW and
// O_DIRECTORY do not, so they are not used).
export const O_RDONLY = 0;
export const O_WRONLY = 0o1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_CLOEXEC = 0o2000000;

const SYMBOLS = {
  __errno_location: { args: [], returns: "ptr" },
  strerror: { args: ["i32"], returns: "ptr" },
  // open is variadic; passing the mode as a plain third int is fine on both ABIs we build
  // for (SysV x86_64 and Linux AAPCS64 pass variadic ints like fixed ones).
  open: { args: ["ptr", "i32", "u32"], returns: "i32" },
  close: { args: ["i32"], returns: "i32" },
  unlink: { args: ["ptr"], returns: "i32" },
  mount: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  umount2: { args: ["ptr", "i32"], returns: "i32" },
  unshare: { args: ["i32"], returns: "i32" },
  setns: { args: ["i32", "i32"], returns: "i32" },
  sethostname: { args: ["ptr", "u64"], returns: "i32" },
  statfs: { args: ["ptr", "ptr"], returns: "i32" },
  mknod: { args: ["ptr", "u32", "u64"], returns: "i32" },
  lchown: { args: ["ptr", "u32", "u32"], returns: "i32" },
  lsetxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" },
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  adjtimex: { args: ["ptr"], returns: "i32" },
  // ioctl is variadic; its one pointer argument travels like a fixed one on both ABIs.
  ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
  madvise: { args: ["u64", "u64", "i32"], returns: "i32" },
  execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
} as const;

export type LibcSymbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

/** Loads libc.so.6 with the symbols above. */
export function openLibc(): LibcSymbols {
  try {
    return dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (err) {
    throw new Error("load libc.so.6 (glibc >= 2.33 is required)", { cause: err });
  }
}

/** A NUL-terminated UTF-8 copy of `s`, to pass as `const char *`. */
export function cstr(s: string): Buffer {
  if (s.includes("\0")) throw new TypeError(`string contains a NUL byte: ${JSON.stringify(s)}`);
  return Buffer.from(`${s}\0`, "utf8");
}

/** `cstr`, or a NULL pointer for null/undefined. */
export function cstrOrNull(s: string | null | undefined): Buffer | null {
  return s === null || s === undefined ? null : cstr(s);
}

/**
 * Turns a libc return value into a result or a `SyscallError`. errno is read right after
 * the failing call, before any other JS runs: it lives in thread-local storage and the
 * JS thread is the one that made the call. `__errno_location` is asked each time rather
 * than cached, because a Worker runs on a different thread with its own errno.
 */
export function makeChecker(libc: LibcSymbols) {
  return function check(rc: number, syscall: string, path?: string): number {
    if (rc !== -1) return rc;
    const errno = read.i32(libc.__errno_location()!, 0);
    throw new SyscallError(syscall, errno, errnoName(errno), path, describeErrno(libc, errno));
  };
}

/** strerror(3) text in the house style: lowercase first letter, no trailing period. */
function describeErrno(libc: LibcSymbols, errno: number): string | undefined {
  const p = libc.strerror(errno);
  if (!p) return undefined;
  const text = new CString(p).toString();
  return text.charAt(0).toLowerCase() + text.slice(1);
}
