/**
 * The one seam between skiff and the operating system (DESIGN.md rule 2). Everything
 * outside `src/platform/` receives a `Platform` and never imports `bun:ffi` or looks at
 * `process.platform`. `linux/` and `windows/` implement it with `bun:ffi`; `fake/`
 * implements it for unit tests.
 *
 * The calls are synchronous on purpose: a `bun:ffi` call runs on the JS thread anyway,
 * and namespace work (`unshare`, `setns`, the bind mount of `/proc/thread-self/ns/*`)
 * changes the state of that one thread, so it must finish in one step with no `await`
 * in between. Failed calls throw `SyscallError` (errno name in `code`); calls that make
 * no sense on the running OS throw `NotSupportedError`.
 *
 * To extend the seam (HCS compute systems, cgroups, ...), add members here, implement
 * them in each of linux/, windows/ and fake/, and add the op to the fake's call log.
 */

import type { WindowsHost } from "./windows-host.ts";

/** Namespaces that can be pinned to a file; a pinned namespace outlives its processes. */
export type NamespaceKind = "net" | "uts" | "ipc";

/** The result of statfs(2). Counts are in units of `blockSize` (files: inodes). */
export interface StatFs {
  /** Filesystem magic, e.g. `TMPFS_MAGIC`; 0 where the OS has none (Windows). */
  type: number;
  blockSize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** The kernel's clock discipline state, from adjtimex(2) (read only). */
export interface ClockSync {
  /** False when the kernel flags the clock unsynchronised (`TIME_ERROR` / `STA_UNSYNC`): no NTP daemon is steering it. */
  synchronized: boolean;
  /** The kernel's maximum error estimate, in microseconds. */
  maxErrorUs: number;
}

/** A namespaced sysctl: written at `/proc/sys/<path>` while the thread is inside `kind`. */
export type NamespacedSysctl = { kind: NamespaceKind; path: string; value: string };

/** Options for `Platform.pinNamespaces`. */
export interface PinOptions {
  /** Set as the hostname inside the new UTS namespace; requires "uts" in `kinds`. */
  hostname?: string;
  /**
   * Written inside the new namespaces before they are pinned (what the sandbox's runtime
   * would do for a pod's `linux.sysctls`). Each one's `kind` must be among `kinds`, so a
   * sysctl can never reach the host's namespaces.
   */
  sysctls?: readonly NamespacedSysctl[];
}

export interface Platform {
  readonly os: "linux" | "windows";
  /**
   * HCS, container layers and HNS: present on a Windows platform (and the fake one that
   * stands in for it in tests), absent on Linux.
   */
  readonly windows?: WindowsHost;

  /**
   * mount(2). `source`/`fstype` may be null (bind mounts, propagation changes);
   * `flags` are `MS_*` from `./constants.ts`; `data` is the fs-specific option string.
   */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void;
  /** umount2(2) with `MNT_*` flags. */
  umount2(target: string, flags: number): void;
  /** unshare(2) of the calling (JS) thread, with `CLONE_NEW*` flags. */
  unshare(flags: number): void;
  /** setns(2) of the calling (JS) thread; `nstype` is a `CLONE_NEW*` flag or 0. */
  setns(fd: number, nstype: number): void;
  /** sethostname(2) in the calling thread's UTS namespace. */
  sethostname(name: string): void;
  /** statfs(2). Values above 2^53 would lose precision; no real filesystem gets there. */
  statfs(path: string): StatFs;
  /** mknod(2). `mode` includes the `S_IF*` type bits; `dev` from `makedev` (0 for fifos). */
  mknod(path: string, mode: number, dev: number | bigint): void;
  /** lchown(2): does not follow a final symlink. -1 leaves an id unchanged. */
  lchown(path: string, uid: number, gid: number): void;
  /** lsetxattr(2) with `XATTR_CREATE`/`XATTR_REPLACE` or 0. */
  lsetxattr(path: string, name: string, value: Uint8Array, flags: number): void;
  /** adjtimex(2) with no modes set: whether an NTP daemon keeps the clock in sync. */
  clockSync(): ClockSync;

  /**
   * Creates new namespaces of the given kinds and pins each one to a file
   * (`pinPath(kind)`, an empty regular file that gets `/proc/thread-self/ns/<kind>`
   * bind-mounted onto it), so a sandbox's network/UTS/IPC namespaces exist before any
   * process does, as CNI and runc expect. The JS thread enters the new namespaces and
   * returns to its own before this returns. On failure, everything done is undone and
   * the error is thrown. Returns the pin path of each kind.
   */
  pinNamespaces<K extends NamespaceKind>(
    kinds: readonly K[],
    pinPath: (kind: K) => string,
    opts?: PinOptions,
  ): Record<K, string>;
  /**
   * Unmounts (MNT_DETACH) and removes a pin made by `pinNamespaces`. Idempotent: a pin
   * that is already gone, or a plain file that is no longer mounted, is not an error.
   */
  unpinNamespace(path: string): void;

  /**
   * Runs `fn` with the JS thread inside the network namespace pinned at `nsPath`, and
   * returns to the thread's own before this returns, even when `fn` throws. `fn` must be
   * synchronous: a socket it creates belongs to the pod's namespace for good (what
   * port-forward needs), while nothing after it runs in there.
   */
  inNetworkNamespace<T>(nsPath: string, fn: () => T): T;
  /**
   * A unix `SOCK_SEQPACKET` socket connected to `path` (non-blocking, close-on-exec): the
   * kind conmon serves attach on, which node:net cannot open. Returns the fd; the caller
   * owns it.
   */
  connectSeqpacket(path: string): number;
  /**
   * The text of `/proc/net/dev` as seen from inside the network namespace pinned (or
   * otherwise named by a path such as `/proc/<pid>/ns/net`) at `netnsPath`: the calling
   * thread enters it, reads, and returns, in one synchronous step.
   */
  readNetDev(netnsPath: string): string;
  /**
   * Unmaps the resident pages of skiff's own executable that hold no private data (see
   * `linux/code-pages.ts`): what start-up alone ran leaves RSS, what serving runs faults
   * back in from the page cache. Returns the KiB that were resident in them.
   */
  releaseCodePages(): number;
}

/** Every implementation is built by a factory of this type (see STYLE.md, "Do this" 2). */
export type PlatformFactory = () => Platform;

/** Names of the calls on `Platform`, as recorded in the fake's call log. */
export type PlatformOp = Exclude<keyof Platform, "os" | "windows">;
