/**
 * Real libc calls through the Linux platform. Needs root (mount, mknod of devices,
 * unshare, trusted.* xattrs); skipped otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { SyscallError } from "../../../src/errors.ts";
import {
  createLinuxPlatform,
  makedev,
  MNT_DETACH,
  MS_NODEV,
  MS_NOSUID,
  NSFS_MAGIC,
  type Platform,
  S_IFCHR,
  S_IFIFO,
  TMPFS_MAGIC,
  XATTR_CREATE,
  XATTR_REPLACE,
} from "../../../src/platform/index.ts";

const isRoot = process.getuid?.() === 0;

/** The inode in a `/proc/.../ns/<kind>` link, e.g. 4026531840 for "net:[4026531840]". */
const nsInode = (link: string): number => Number(/\[(\d+)\]/.exec(readlinkSync(link))?.[1]);

function run(cmd: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: r.stdout.toString() + r.stderr.toString() };
}
const hasCommand = (name: string) => Bun.which(name) !== null;

describe.skipIf(!isRoot)("linux platform (root)", () => {
  let p: Platform;
  let dir: string;
  const mounted: string[] = [];

  beforeAll(() => {
    p = createLinuxPlatform();
    dir = mkdtempSync(join(tmpdir(), "skiff-platform-"));
  });
  afterAll(() => {
    for (const m of mounted.reverse()) {
      try {
        p.umount2(m, MNT_DETACH);
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Mounts a small tmpfs on a new directory and registers it for cleanup. */
  function tmpfs(name: string): string {
    const target = join(dir, name);
    mkdirSync(target);
    p.mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755");
    mounted.push(target);
    return target;
  }

  test("mounts a tmpfs, statfs sees it, umount2 removes it", () => {
    const target = join(dir, "mnt");
    mkdirSync(target);
    const before = p.statfs(target);
    p.mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m");
    try {
      const st = p.statfs(target);
      expect(st.type).toBe(TMPFS_MAGIC);
      expect(st.blockSize).toBe(4096);
      expect(st.blocks).toBe(256); // 1 MiB / 4 KiB
      expect(st.bfree).toBe(256);
      expect(st.bavail).toBe(256);
      expect(st.files).toBeGreaterThan(0);
      expect(st.ffree).toBeLessThanOrEqual(st.files);
    } finally {
      p.umount2(target, 0);
    }
    expect(p.statfs(target)).toMatchObject({ type: before.type, blocks: before.blocks });
  });

  test("mknod makes a fifo and a character device", () => {
    const fifo = join(dir, "fifo");
    p.mknod(fifo, S_IFIFO | 0o600, 0);
    const fst = lstatSync(fifo);
    expect(fst.isFIFO()).toBe(true);
    expect(fst.mode & 0o777).toBe(0o600);

    const nul = join(dir, "null");
    p.mknod(nul, S_IFCHR | 0o666, makedev(1, 3));
    const cst = lstatSync(nul);
    expect(cst.isCharacterDevice()).toBe(true);
    expect(cst.rdev).toBe(259);
  });

  test("lchown changes a file, and a symlink without following it", () => {
    const file = join(dir, "owned");
    writeFileSync(file, "x");
    p.lchown(file, 1234, 5678);
    expect(lstatSync(file)).toMatchObject({ uid: 1234, gid: 5678 });

    const link = join(dir, "owned-link");
    symlinkSync(file, link);
    p.lchown(link, 42, 43);
    expect(lstatSync(link)).toMatchObject({ uid: 42, gid: 43 });
    expect(lstatSync(file)).toMatchObject({ uid: 1234, gid: 5678 });

    p.lchown(file, -1, 99); // -1 keeps the uid
    expect(lstatSync(file)).toMatchObject({ uid: 1234, gid: 99 });
  });

  test("lsetxattr sets a trusted.* xattr on tmpfs (XATTR_CREATE/REPLACE prove it is there)", () => {
    const file = join(tmpfs("xattr"), "f");
    writeFileSync(file, "");
    const value = new TextEncoder().encode("hello");
    p.lsetxattr(file, "trusted.skiff", value, XATTR_CREATE);
    // The kernel refuses to create it again: it exists.
    expect(() => p.lsetxattr(file, "trusted.skiff", value, XATTR_CREATE)).toThrow(
      expect.objectContaining({ code: "EEXIST", syscall: "lsetxattr", path: file }),
    );
    p.lsetxattr(file, "trusted.skiff", new Uint8Array(), XATTR_REPLACE);
    // …and refuses to replace one that does not exist.
    expect(() => p.lsetxattr(file, "trusted.other", value, XATTR_REPLACE)).toThrow(
      expect.objectContaining({ code: "ENODATA" }),
    );
  });

  test("lsetxattr user.skiff works where the filesystem allows it, else fails with ENOTSUP/EPERM", () => {
    const file = join(dir, "user-xattr");
    writeFileSync(file, "");
    try {
      p.lsetxattr(file, "user.skiff", new TextEncoder().encode("1"), 0);
    } catch (err) {
      // user.* xattrs need filesystem support (tmpfs only since Linux 6.6, ext4 with user_xattr).
      expect(err).toBeInstanceOf(SyscallError);
      expect(["ENOTSUP", "EPERM"]).toContain((err as SyscallError).code);
      console.info(`user.skiff xattr not supported on ${dir}: ${(err as Error).message}`);
    }
  });

  test("a failing call throws SyscallError naming the call, the path and the errno", () => {
    const missing = join(dir, "does", "not", "exist");
    let caught: unknown;
    try {
      p.mount("tmpfs", missing, "tmpfs", 0);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SyscallError);
    expect(caught).toMatchObject({ syscall: "mount", path: missing, errno: 2, code: "ENOENT" });
    expect((caught as Error).message).toBe(`mount "${missing}": ENOENT (no such file or directory)`);
    expect(() => p.statfs(missing)).toThrow(expect.objectContaining({ syscall: "statfs", code: "ENOENT" }));
  });

  describe("namespace pins", () => {
    const kinds = ["net", "uts", "ipc"] as const;
    let pins: Record<(typeof kinds)[number], string>;
    const hostBefore = { net: 0, uts: 0, ipc: 0, name: "" };

    beforeAll(() => {
      for (const k of kinds) hostBefore[k] = nsInode(`/proc/thread-self/ns/${k}`);
      hostBefore.name = hostname();
      pins = p.pinNamespaces(kinds, (k) => join(dir, "ns", k, "sandbox-1"), { hostname: "skiff-pod" });
    });

    test("returns one pin per kind, each a mounted nsfs file", () => {
      for (const k of kinds) {
        expect(pins[k]).toBe(join(dir, "ns", k, "sandbox-1"));
        expect(p.statfs(pins[k]).type).toBe(NSFS_MAGIC);
      }
    });

    test("the pinned namespaces are new ones", () => {
      for (const k of kinds) {
        // stat follows the bind mount to the nsfs inode, which is the namespace's id.
        expect(statSync(pins[k]).ino).not.toBe(hostBefore[k]);
      }
    });

    test("the JS thread is back in the host namespaces and the host name is unchanged", () => {
      for (const k of kinds) expect(nsInode(`/proc/thread-self/ns/${k}`)).toBe(hostBefore[k]);
      expect(nsInode("/proc/self/ns/net")).toBe(hostBefore.net);
      expect(hostname()).toBe(hostBefore.name);
    });

    test.skipIf(!hasCommand("nsenter") || !hasCommand("ip"))("the pinned net namespace holds only lo, and lo is up", () => {
      const r = run(["nsenter", `--net=${pins.net}`, "ip", "-o", "link", "show"]);
      expect(r.ok).toBe(true);
      const links = r.out.trim().split("\n").map((l) => l.split(":")[1]?.trim());
      expect(links).toEqual(["lo"]);
      // "<LOOPBACK,UP,LOWER_UP>": the flags ip prints for an up loopback device.
      expect(r.out).toMatch(/<[^>]*\bUP\b[^>]*>/);
      const addrs = run(["nsenter", `--net=${pins.net}`, "ip", "-o", "addr", "show", "dev", "lo"]);
      expect(addrs.out).toContain("127.0.0.1/8");
    });

    test.skipIf(!hasCommand("nsenter") || !hasCommand("hostname"))("the pinned uts namespace has the given hostname", () => {
      const r = run(["nsenter", `--uts=${pins.uts}`, "hostname"]);
      expect(r).toEqual({ ok: true, out: "skiff-pod\n" });
    });

    test("pinning onto an existing pin fails with EEXIST and changes nothing", () => {
      expect(() => p.pinNamespaces(["net"], () => pins.net)).toThrow(expect.objectContaining({ code: "EEXIST" }));
      expect(nsInode("/proc/thread-self/ns/net")).toBe(hostBefore.net);
      expect(p.statfs(pins.net).type).toBe(NSFS_MAGIC);
    });

    test("a failure after unshare undoes everything", () => {
      // sethostname with an over-long name fails with EINVAL inside the new UTS namespace.
      const pinOf = (k: string) => join(dir, "ns", k, "sandbox-bad");
      expect(() => p.pinNamespaces(["net", "uts"], pinOf, { hostname: "x".repeat(100) })).toThrow(
        expect.objectContaining({ syscall: "sethostname", code: "EINVAL" }),
      );
      expect(existsSync(pinOf("net"))).toBe(false);
      expect(existsSync(pinOf("uts"))).toBe(false);
      expect(nsInode("/proc/thread-self/ns/net")).toBe(hostBefore.net);
      expect(nsInode("/proc/thread-self/ns/uts")).toBe(hostBefore.uts);
      expect(hostname()).toBe(hostBefore.name);
    });

    test("unpinNamespace unmounts and removes each pin, and is idempotent", () => {
      for (const k of kinds) {
        p.unpinNamespace(pins[k]);
        expect(existsSync(pins[k])).toBe(false);
        p.unpinNamespace(pins[k]);
      }
    });

    test("unpinNamespace on a plain file that was never mounted removes it", () => {
      const plain = join(dir, "ns", "plain");
      writeFileSync(plain, "");
      p.unpinNamespace(plain);
      expect(existsSync(plain)).toBe(false);
    });
  });
});

describe("linux platform (any user)", () => {
  test("clockSync reads adjtimex: a max error within the kernel's 16 s limit, unsynchronised once it reaches it", () => {
    const clock = createLinuxPlatform().clockSync();
    // NTP_PHASE_LIMIT: the kernel caps maxerror there and sets STA_UNSYNC when it gets there.
    expect(clock.maxErrorUs).toBeGreaterThanOrEqual(0);
    expect(clock.maxErrorUs).toBeLessThanOrEqual(16_000_000);
    if (clock.maxErrorUs >= 16_000_000) expect(clock.synchronized).toBe(false);
  });

  test("releaseCodePages unmaps the executable's resident code and data, and the code it runs next comes back", async () => {
    const exe = readlinkSync("/proc/self/exe");
    const residentOfExe = () => {
      let kib = 0;
      let mine = false;
      for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
        if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mine = line.endsWith(` ${exe}`);
        else if (mine && line.startsWith("Rss:")) kib += Number(/(\d+) kB/.exec(line)?.[1]);
      }
      return kib;
    };
    const before = residentOfExe();
    const released = createLinuxPlatform().releaseCodePages();
    const after = residentOfExe();
    // This process's runtime had megabytes of its code resident; most of it is gone.
    expect(released).toBeGreaterThan(4096);
    expect(after).toBeLessThan(before - released / 2);
    // The runtime goes on: parsing, hashing, the file system and timers fault their code back in.
    expect(JSON.parse(JSON.stringify({ a: [1, 2] }))).toEqual({ a: [1, 2] });
    expect(new Bun.CryptoHasher("sha256").update("x").digest("hex")).toHaveLength(64);
    await Bun.sleep(1);
    expect(residentOfExe()).toBeGreaterThan(after);
  });
});
