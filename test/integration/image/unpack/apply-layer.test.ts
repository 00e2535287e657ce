/**
 * Real layers onto a real filesystem with the real Linux platform (root only): a
 * busybox rootfs that runs under chroot, every attribute a layer can carry, overlayfs
 * whiteouts, and the two layers stacked by a real overlay mount.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyLayer } from "../../../../src/image/unpack/apply-layer.ts";
import { createPlatform } from "../../../../src/platform/index.ts";
import type { Platform } from "../../../../src/platform/types.ts";
import { busyboxEntries, busyboxLayer, layerBlob } from "../../../support/layers.ts";
import { tar, webStream } from "../../../support/tar-writer.ts";

const isRoot = process.getuid?.() === 0;

function run(cmd: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

/** An xattr's value via getfattr (Platform has no lgetxattr, and needs none outside tests). */
function getXattr(path: string, name: string): string | undefined {
  const r = Bun.spawnSync(["getfattr", "-h", "--absolute-names", "--only-values", "-n", name, path], { stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString() : undefined;
}

const major = (rdev: number) => ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff);
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >> 12) & ~0xff);

describe.skipIf(!isRoot)("applyLayer on a real filesystem (root)", () => {
  let platform: Platform;
  let base: string;
  const mounts: string[] = [];
  beforeAll(() => {
    platform = createPlatform();
    base = mkdtempSync(join(tmpdir(), "skiff-unpack-it-"));
  });
  afterAll(() => {
    for (const m of mounts) run(["umount", "-l", m]);
    rmSync(base, { recursive: true, force: true });
  });

  /** A new empty layer directory. */
  const layerDir = (name: string) => {
    const d = join(base, name);
    mkdirSync(d);
    return d;
  };

  for (const compression of ["gzip", "zstd", "none"] as const) {
    test(`a ${compression} busybox layer unpacks into a rootfs that runs`, async () => {
      const tarBytes = busyboxLayer();
      const blob = layerBlob(tarBytes, compression);
      const dest = layerDir(`busybox-${compression}`);
      const r = await applyLayer({
        platform,
        dest,
        stream: webStream(blob.blob),
        mediaType: blob.mediaType,
        expectedDigest: blob.digest,
        expectedDiffId: blob.diffId,
      });
      expect(r.compression).toBe(compression);
      expect(r.diffId).toBe(blob.diffId);
      expect(run(["chroot", dest, "/bin/busybox", "echo", "ok"])).toEqual({ code: 0, out: "ok\n" });
      expect(run(["chroot", dest, "/bin/sh", "-c", "cat /etc/hostname; ls -d /tmp"]).out).toBe("busybox\n/tmp\n");
      expect(lstatSync(join(dest, "tmp")).mode & 0o7777).toBe(0o1777);
      expect(lstatSync(join(dest, "root")).mode & 0o7777).toBe(0o700);
    });
  }

  test("owners, modes, times, xattrs, devices, fifos and hardlinks are applied", async () => {
    const dest = layerDir("attrs");
    const layer = tar([
      { name: "usr/bin/su", data: "su", mode: 0o4755, uid: 0, gid: 0 },
      { name: "usr/bin/wall", data: "wall", mode: 0o2755, uid: 0, gid: 5 },
      { name: "home/u/", mode: 0o2750, uid: 1000, gid: 1000, mtime: 1_000_000_000 },
      { name: "home/u/notes", data: "n", mode: 0o640, uid: 1000, gid: 1001, mtime: 1_500_000_000.5 },
      { name: "home/u/link", type: "symlink", linkname: "notes", uid: 1000, gid: 1000, mtime: 1_200_000_000 },
      { name: "home/u/hard", type: "link", linkname: "home/u/notes" },
      { name: "tmp/", mode: 0o1777 },
      { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
      { name: "dev/loop0", type: "block", devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
      { name: "run/initctl", type: "fifo", mode: 0o600 },
      { name: "x/attrs", data: "a", xattrs: { "user.skiff": "hello", "trusted.skiff": new Uint8Array([1, 2, 3]) } },
    ]);
    const r = await applyLayer({ platform, dest, stream: webStream(layerBlob(layer).blob) });
    expect(r.warnings).toEqual([]);
    const st = (rel: string) => lstatSync(join(dest, rel));
    expect(st("usr/bin/su").mode & 0o7777).toBe(0o4755);
    expect([st("usr/bin/wall").gid, st("usr/bin/wall").mode & 0o7777]).toEqual([5, 0o2755]);
    expect([st("home/u").uid, st("home/u").gid, st("home/u").mode & 0o7777]).toEqual([1000, 1000, 0o2750]);
    expect(st("home/u").mtimeMs).toBe(1_000_000_000_000);
    expect([st("home/u/notes").uid, st("home/u/notes").gid, st("home/u/notes").mode & 0o7777]).toEqual([1000, 1001, 0o640]);
    expect(st("home/u/notes").mtimeMs).toBe(1_500_000_000_500);
    expect([st("home/u/link").uid, st("home/u/link").mtimeMs]).toEqual([1000, 1_200_000_000_000]);
    expect(st("home/u/hard").ino).toBe(st("home/u/notes").ino);
    expect(st("home/u/notes").nlink).toBe(2);
    expect(st("tmp").mode & 0o7777).toBe(0o1777);
    const nul = st("dev/null");
    expect([nul.isCharacterDevice(), major(nul.rdev), minor(nul.rdev), nul.mode & 0o7777]).toEqual([true, 1, 3, 0o666]);
    const loop = st("dev/loop0");
    expect([loop.isBlockDevice(), major(loop.rdev), minor(loop.rdev), loop.gid]).toEqual([true, 7, 0, 6]);
    expect(st("run/initctl").isFIFO()).toBe(true);
    if (Bun.which("getfattr")) {
      expect(getXattr(join(dest, "x/attrs"), "user.skiff")).toBe("hello");
      expect(getXattr(join(dest, "x/attrs"), "trusted.skiff")).toBe("\x01\x02\x03");
    }
    // The device really is /dev/null: writes vanish, reads are empty.
    expect(run(["sh", "-c", `echo hi > ${join(dest, "dev/null")} && wc -c < ${join(dest, "dev/null")}`]).out.trim()).toBe("0");
  });

  test("a second layer's whiteouts and opaque directories hide the first layer's files under overlayfs", async () => {
    const lower = layerDir("stack-1");
    const upper = layerDir("stack-2");
    await applyLayer({
      platform,
      dest: lower,
      stream: webStream(
        layerBlob(
          tar(
            busyboxEntries({
              extra: [
                { name: "etc/motd", data: "old motd\n" },
                { name: "var/lib/old/", type: "dir" },
                { name: "var/lib/old/data", data: "old" },
                { name: "opt/old", data: "old" },
                { name: "srv/keep", data: "kept" },
              ],
            }),
          ),
        ).blob,
      ),
    });
    await applyLayer({
      platform,
      dest: upper,
      stream: webStream(
        layerBlob(
          tar([
            { name: "etc/" },
            { name: "etc/.wh.motd" },
            { name: "var/" },
            { name: "var/.wh..wh..opq" },
            { name: "var/new", data: "new" },
            { name: ".wh.opt" },
            { name: "opt/", type: "dir" },
            { name: "opt/fresh", data: "fresh" },
          ]),
          "zstd",
        ).blob,
      ),
    });
    const wh = lstatSync(join(upper, "etc/motd"));
    expect([wh.isCharacterDevice(), wh.rdev]).toEqual([true, 0]);
    expect(readdirSync(join(upper, "etc"))).toEqual(["motd"]); // no ".wh.motd" file
    if (Bun.which("getfattr")) {
      expect(getXattr(join(upper, "var"), "trusted.overlay.opaque")).toBe("y");
      expect(getXattr(join(upper, "opt"), "trusted.overlay.opaque")).toBe("y");
    }

    const merged = layerDir("stack-merged");
    const m = run(["mount", "-t", "overlay", "overlay", "-o", `ro,lowerdir=${upper}:${lower}`, merged]);
    expect(m).toEqual({ code: 0, out: "" });
    mounts.push(merged);
    try {
      expect(existsSync(join(merged, "etc/motd"))).toBe(false);
      expect(existsSync(join(merged, "etc/passwd"))).toBe(true);
      expect(readdirSync(join(merged, "var")).sort()).toEqual(["new"]);
      expect(readdirSync(join(merged, "opt"))).toEqual(["fresh"]);
      expect(readFileSync(join(merged, "srv/keep"), "utf8")).toBe("kept");
      expect(run(["chroot", merged, "/bin/sh", "-c", "cat /var/new; ls /opt"]).out).toBe("newfresh\n");
    } finally {
      run(["umount", merged]);
      mounts.pop();
    }
  });
});
