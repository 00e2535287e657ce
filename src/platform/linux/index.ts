/**
 * The Linux `Platform`: thin wrappers over libc via `bun:ffi`
 * (https://bun.sh/docs/api/ffi). libc is opened inside the factory, never at import.
 */
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import type { ClockSync, NamespaceKind, Platform, PlatformFactory, StatFs } from "../types.ts";
import { cstr, cstrOrNull, makeChecker, O_CLOEXEC, O_CREAT, O_EXCL, O_RDONLY, O_WRONLY, openLibc } from "./libc.ts";
import { droppableCodeRanges } from "./code-pages.ts";
import { type NsSys, inNetworkNamespace, pinNamespaces, readNetDev, unpinNamespace } from "./namespaces.ts";
import { type SocketSys, connectSeqpacket } from "./sockets.ts";

// struct statfs on LP64 glibc (x86_64 and aarch64 alike) is 15 eight-byte words:
// f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid (2 x int),
// f_namelen, f_frsize, f_flags, f_spare[4] = 120 bytes.
const STATFS_WORDS = 15;

// For setting `lo` up (linux/include/uapi/linux/sockios.h, if.h; same on x86_64 and
// aarch64). `ifr_flags` is little-endian on both.
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;

// struct timex on LP64 glibc (x86_64 and aarch64 alike, linux/include/uapi/linux/timex.h):
// modes (u32 + pad) at 0, offset 8, freq 16, maxerror 24, esterror 32, status (i32) 40,
// ..., 208 bytes in all. adjtimex returns the clock state; TIME_ERROR (5) and the
// STA_UNSYNC status bit both mean no one is disciplining the clock.
const TIMEX_SIZE = 208;
const TIME_ERROR = 5;
const STA_UNSYNC = 0x0040;

// madvise(2) advice (linux/include/uapi/asm-generic/mman-common.h).
const MADV_DONTNEED = 4;

export const createLinuxPlatform: PlatformFactory = () => {
  const libc = openLibc();
  const check = makeChecker(libc);

  const sys: NsSys = {
    openRead: (path) => check(libc.open(cstr(path), O_RDONLY | O_CLOEXEC, 0), "open", path),
    close: (fd) => void check(libc.close(fd), "close"),
    createFile(path) {
      const fd = check(libc.open(cstr(path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444), "open", path);
      check(libc.close(fd), "close", path);
    },
    mkdirp: (dir) => void mkdirSync(dir, { recursive: true, mode: 0o755 }),
    unlink: (path) => void check(libc.unlink(cstr(path)), "unlink", path),
    unshare: (flags) => void check(libc.unshare(flags), "unshare"),
    setns: (fd, nstype) => void check(libc.setns(fd, nstype), "setns"),
    sethostname(name) {
      const buf = Buffer.from(name, "utf8");
      check(libc.sethostname(buf, buf.length), "sethostname", name);
    },
    loopbackUp() {
      const fd = check(libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket", "lo");
      try {
        // struct ifreq: char ifr_name[16], then a union whose `short ifr_flags` sits first.
        const ifr = Buffer.alloc(IFREQ_SIZE);
        ifr.write("lo", 0, "latin1");
        check(libc.ioctl(fd, SIOCGIFFLAGS, ifr), "ioctl(SIOCGIFFLAGS)", "lo");
        ifr.writeInt16LE(ifr.readInt16LE(IFNAMSIZ) | IFF_UP, IFNAMSIZ);
        check(libc.ioctl(fd, SIOCSIFFLAGS, ifr), "ioctl(SIOCSIFFLAGS)", "lo");
      } finally {
        libc.close(fd);
      }
    },
    mount(source, target, fstype, flags, data) {
      // `flags >>> 0`: mount flags are unsigned long; keep bit 31 from going negative.
      const rc = libc.mount(cstrOrNull(source), cstr(target), cstrOrNull(fstype), flags >>> 0, cstrOrNull(data));
      check(rc, "mount", target);
    },
    umount2: (target, flags) => void check(libc.umount2(cstr(target), flags), "umount2", target),
    // node:fs's sync calls run on the calling (JS) thread in Bun, so they see its namespaces.
    writeFile: (path, data) => writeFileSync(path, data, { flag: "w" }),
    readFile: (path) => readFileSync(path, "latin1"),
  };

  const sockets: SocketSys = {
    socket: (domain, type, protocol) => check(libc.socket(domain, type, protocol), "socket"),
    connect: (fd, addr, len, path) => void check(libc.connect(fd, addr, len), "connect", path),
    close: sys.close,
  };

  const platform: Platform = {
    os: "linux",
    mount: sys.mount,
    umount2: sys.umount2,
    unshare: sys.unshare,
    setns: sys.setns,
    sethostname: sys.sethostname,
    statfs(path): StatFs {
      const words = new BigUint64Array(STATFS_WORDS);
      check(libc.statfs(cstr(path), words), "statfs", path);
      const at = (i: number) => Number(words[i]);
      return { type: at(0), blockSize: at(1), blocks: at(2), bfree: at(3), bavail: at(4), files: at(5), ffree: at(6) };
    },
    mknod(path, mode, dev) {
      check(libc.mknod(cstr(path), mode >>> 0, BigInt(dev)), "mknod", path);
    },
    lchown(path, uid, gid) {
      // -1 ("leave unchanged") is (uid_t)-1 = 0xffffffff.
      check(libc.lchown(cstr(path), uid >>> 0, gid >>> 0), "lchown", path);
    },
    lsetxattr(path, name, value, flags) {
      check(libc.lsetxattr(cstr(path), cstr(name), value, value.byteLength, flags), "lsetxattr", path);
    },
    clockSync(): ClockSync {
      const timex = Buffer.alloc(TIMEX_SIZE); // modes = 0: read, change nothing
      const state = check(libc.adjtimex(timex), "adjtimex");
      const status = timex.readInt32LE(40);
      return { synchronized: state !== TIME_ERROR && (status & STA_UNSYNC) === 0, maxErrorUs: Number(timex.readBigInt64LE(24)) };
    },
    pinNamespaces: <K extends NamespaceKind>(kinds: readonly K[], pinPath: (kind: K) => string, opts = {}) =>
      pinNamespaces(sys, kinds, pinPath, opts),
    unpinNamespace: (path) => unpinNamespace(sys, path),
    readNetDev: (netnsPath) => readNetDev(sys, netnsPath),
    inNetworkNamespace: (nsPath, fn) => inNetworkNamespace(sys, nsPath, fn),
    connectSeqpacket: (path) => connectSeqpacket(sockets, path),
    releaseCodePages() {
      const exe = readlinkSync("/proc/self/exe");
      let kib = 0;
      for (const r of droppableCodeRanges(readFileSync("/proc/self/smaps", "utf8"), exe)) {
        check(libc.madvise(r.start, r.end - r.start, MADV_DONTNEED), "madvise", exe);
        kib += r.rssKiB;
      }
      return kib;
    },
  };
  return platform;
};
