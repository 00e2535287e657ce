/**
 * Extraction with a FakePlatform: files, modes and times are real (in a temp dir);
 * mknod, lchown and lsetxattr are recorded, so no root is needed.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { UnpackError } from "../../../../src/image/unpack/errors.ts";
import { SyscallError } from "../../../../src/errors.ts";
import { makedev, S_IFBLK, S_IFCHR, S_IFIFO } from "../../../../src/platform/constants.ts";
import type { FakePlatform } from "../../../../src/platform/fake/index.ts";
import { applySpecs, fakePlatform, type Scratch, scratch } from "./fixture.ts";

const y = new TextEncoder().encode("y");

describe("applyEntries", () => {
  let s: Scratch;
  let p: FakePlatform;
  const at = (rel: string) => join(s.dest, rel);
  beforeEach(() => {
    s = scratch();
    p = fakePlatform();
  });
  afterEach(() => s.cleanup());

  test("writes files, directories, symlinks and hardlinks, and counts the bytes", async () => {
    const stats = await applySpecs(p, s.dest, [
      { name: "./" },
      { name: "bin/" },
      { name: "bin/tool", data: "#!/bin/sh\n", mode: 0o755 },
      { name: "bin/alias", type: "symlink", linkname: "tool" },
      { name: "bin/hard", type: "link", linkname: "bin/tool" },
      { name: "/abs/file", data: "abc" },
    ]);
    expect(stats).toEqual({ entries: 6, size: 13, warnings: [] });
    expect(readFileSync(at("bin/tool"), "utf8")).toBe("#!/bin/sh\n");
    expect(readlinkSync(at("bin/alias"))).toBe("tool");
    expect(lstatSync(at("bin/hard")).ino).toBe(lstatSync(at("bin/tool")).ino);
    expect(lstatSync(at("abs")).mode & 0o7777).toBe(0o755); // implicit parent
  });

  test("makes devices and fifos through the platform", async () => {
    await applySpecs(p, s.dest, [
      { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
      { name: "dev/sda", type: "block", devmajor: 8, devminor: 1, mode: 0o660 },
      { name: "run/fifo", type: "fifo", mode: 0o600 },
    ]);
    expect(p.callsOf("mknod")).toEqual([
      [at("dev/null"), S_IFCHR | 0o600, makedev(1, 3)],
      [at("dev/sda"), S_IFBLK | 0o600, makedev(8, 1)],
      [at("run/fifo"), S_IFIFO | 0o600, 0],
    ]);
    expect(lstatSync(at("dev/null")).mode & 0o7777).toBe(0o666);
  });

  test("sets owners through the platform, then modes including setuid, setgid and sticky", async () => {
    await applySpecs(p, s.dest, [
      { name: "tmp/", mode: 0o1777, uid: 0, gid: 0 },
      { name: "usr/bin/su", data: "x", mode: 0o4755, uid: 0, gid: 0 },
      { name: "usr/bin/wall", data: "x", mode: 0o2755, uid: 0, gid: 5 },
      { name: "home/u/f", data: "x", mode: 0o600, uid: 1000, gid: 1000 },
    ]);
    expect(p.callsOf("lchown")).toContainEqual([at("home/u/f"), 1000, 1000]);
    expect(p.callsOf("lchown")).toContainEqual([at("usr/bin/wall"), 0, 5]);
    expect(lstatSync(at("tmp")).mode & 0o7777).toBe(0o1777);
    expect(lstatSync(at("usr/bin/su")).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(at("usr/bin/wall")).mode & 0o7777).toBe(0o2755);
    expect(lstatSync(at("home/u/f")).mode & 0o7777).toBe(0o600);
  });

  test("sets times, fractions included, and directory times after their contents", async () => {
    await applySpecs(p, s.dest, [
      { name: "d/", mtime: 1_000_000_000 },
      { name: "d/f", data: "x", mtime: 1_500_000_000.5 },
      { name: "d/l", type: "symlink", linkname: "nowhere", mtime: 1_200_000_000 },
      { name: "d/sub/", mtime: 1_100_000_000 },
      { name: "d/sub/g", data: "y" },
    ]);
    expect(lstatSync(at("d")).mtimeMs).toBe(1_000_000_000_000);
    expect(lstatSync(at("d/sub")).mtimeMs).toBe(1_100_000_000_000);
    expect(lstatSync(at("d/f")).mtimeMs).toBe(1_500_000_000_500);
    expect(lstatSync(at("d/l")).mtimeMs).toBe(1_200_000_000_000);
  });

  test("fills a read-only directory and applies its mode last", async () => {
    await applySpecs(p, s.dest, [{ name: "ro/", mode: 0o555 }, { name: "ro/sub/", mode: 0o500 }, { name: "ro/sub/f", data: "x" }]);
    expect(lstatSync(at("ro")).mode & 0o7777).toBe(0o555);
    expect(lstatSync(at("ro/sub")).mode & 0o7777).toBe(0o500);
  });

  test("sets xattrs through the platform and skips overlay ones with a warning", async () => {
    const stats = await applySpecs(p, s.dest, [
      {
        name: "bin/ping",
        data: "x",
        xattrs: { "security.capability": new Uint8Array([1, 2]), "user.k": "v", "trusted.overlay.redirect": "/etc" },
      },
    ]);
    expect(p.callsOf("lsetxattr").map(([path, name]) => [path, name])).toEqual([
      [at("bin/ping"), "security.capability"],
      [at("bin/ping"), "user.k"],
    ]);
    expect(stats.warnings).toEqual(['entry "bin/ping": xattr "trusted.overlay.redirect" steers overlayfs; skipped']);
  });

  test("skips an xattr the filesystem does not support, but fails on other errors", async () => {
    p.injectError("lsetxattr", new SyscallError("lsetxattr", 95, "EOPNOTSUPP", "/x"), { times: 1 });
    const stats = await applySpecs(p, s.dest, [{ name: "a", xattrs: { "security.selinux": "ctx" } }]);
    expect(stats.warnings).toEqual(['entry "a": xattr "security.selinux" not supported by the filesystem; skipped']);
    p.injectError("lsetxattr", new SyscallError("lsetxattr", 1, "EPERM", "/x"));
    const err = await applySpecs(p, s.dest, [{ name: "b", xattrs: { "trusted.x": "1" } }]).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackError);
    expect(err.message).toBe('layer entry "b": lsetxattr "/x": EPERM');
  });

  test("turns a whiteout into a 0/0 char device and writes no .wh. file", async () => {
    await applySpecs(p, s.dest, [{ name: "etc/" }, { name: "etc/.wh.motd" }]);
    expect(p.callsOf("mknod")).toEqual([[at("etc/motd"), S_IFCHR, makedev(0, 0)]]);
    expect(readdirSync(at("etc"))).toEqual(["motd"]);
  });

  test("marks a directory opaque for .wh..wh..opq, creating it if needed", async () => {
    await applySpecs(p, s.dest, [{ name: "a/.wh..wh..opq" }, { name: "a/keep", data: "k" }]);
    expect(p.callsOf("lsetxattr")).toEqual([[at("a"), "trusted.overlay.opaque", y, 0]]);
    expect(readdirSync(at("a"))).toEqual(["keep"]);
  });

  test("ignores AUFS bookkeeping entries", async () => {
    await applySpecs(p, s.dest, [{ name: ".wh..wh.plnk/" }, { name: ".wh..wh.aufs" }]);
    expect(readdirSync(s.dest)).toEqual([]);
    expect(p.calls).toEqual([]);
  });

  test("keeps a file of the same layer that a later whiteout names (it already hides the lower one)", async () => {
    await applySpecs(p, s.dest, [{ name: "f", data: "same layer" }, { name: ".wh.f" }]);
    expect(readFileSync(at("f"), "utf8")).toBe("same layer");
    expect(p.callsOf("mknod")).toEqual([]);
  });

  test("makes a same-layer directory opaque when a later whiteout names it", async () => {
    await applySpecs(p, s.dest, [{ name: "d/" }, { name: "d/new", data: "n" }, { name: ".wh.d" }]);
    expect(p.callsOf("lsetxattr")).toEqual([[at("d"), "trusted.overlay.opaque", y, 0]]);
    expect(existsSync(at("d/new"))).toBe(true);
  });

  test("makes a directory opaque when it replaces this layer's whiteout", async () => {
    await applySpecs(p, s.dest, [{ name: ".wh.d" }, { name: "d/" }, { name: ".wh.e" }, { name: "e/f", data: "x" }]);
    expect(lstatSync(at("d")).isDirectory()).toBe(true);
    expect(lstatSync(at("e")).isDirectory()).toBe(true);
    expect(p.callsOf("lsetxattr").map(([path, name]) => [path, name])).toEqual([
      [at("d"), "trusted.overlay.opaque"],
      [at("e"), "trusted.overlay.opaque"],
    ]);
  });

  test("lets a later entry replace an earlier one, as tar does", async () => {
    await applySpecs(p, s.dest, [
      { name: "x/", type: "dir" },
      { name: "x/inner", data: "i" },
      { name: "x", data: "now a file" },
      { name: "y", data: "old" },
      { name: "y2", type: "link", linkname: "y" },
      { name: "y", data: "new" },
    ]);
    expect(readFileSync(at("x"), "utf8")).toBe("now a file");
    expect(readFileSync(at("y"), "utf8")).toBe("new");
    expect(readFileSync(at("y2"), "utf8")).toBe("old"); // the other name keeps the old inode
  });

  test("merges a repeated directory entry, keeping its contents and taking the new mode", async () => {
    await applySpecs(p, s.dest, [{ name: "d/", mode: 0o700 }, { name: "d/f", data: "x" }, { name: "d/", mode: 0o750 }]);
    expect(existsSync(at("d/f"))).toBe(true);
    expect(lstatSync(at("d")).mode & 0o7777).toBe(0o750);
  });

  test("applies a root entry's attributes to the layer directory", async () => {
    await applySpecs(p, s.dest, [{ name: "./", mode: 0o751, uid: 0, gid: 0 }]);
    expect(lstatSync(s.dest).mode & 0o7777).toBe(0o751);
    expect(p.callsOf("lchown")).toEqual([[s.dest, 0, 0]]);
  });
});
