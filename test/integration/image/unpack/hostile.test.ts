/**
 * Hostile layers against the real Linux platform (root only, where mknod and xattrs
 * really happen): each one is refused or contained, and nothing appears outside the
 * layer directory: a sentinel directory next to it must stay exactly as it was.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyLayer } from "../../../../src/image/unpack/apply-layer.ts";
import { TarFormatError, UnpackError, UnpackLimitError } from "../../../../src/image/unpack/errors.ts";
import { createPlatform } from "../../../../src/platform/index.ts";
import type { Platform } from "../../../../src/platform/types.ts";
import { concat, gzip, type TarEntrySpec, tar, webStream } from "../../../support/tar-writer.ts";

const isRoot = process.getuid?.() === 0;
const SENTINEL = "sentinel\n";

describe.skipIf(!isRoot)("hostile layers on a real filesystem (root)", () => {
  let platform: Platform;
  let base: string;
  let outside: string;
  let dest: string;
  let n = 0;
  const hostName = `skiff-unpack-probe-${process.pid}`;

  beforeAll(() => {
    platform = createPlatform();
    base = mkdtempSync(join(tmpdir(), "skiff-hostile-"));
    outside = join(base, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "sentinel"), SENTINEL);
  });
  beforeEach(() => {
    dest = join(base, `layer-${n++}`);
    mkdirSync(dest);
  });
  afterEach(() => {
    expect(readdirSync(outside, { recursive: true })).toEqual(["sentinel"]);
    expect(readFileSync(join(outside, "sentinel"), "utf8")).toBe(SENTINEL);
    expect(lstatSync(join(outside, "sentinel")).nlink).toBe(1);
    expect(readdirSync(base).filter((e) => !e.startsWith("layer-") && e !== "outside")).toEqual([]);
    expect(existsSync(`/etc/${hostName}`)).toBe(false);
    rmSync(dest, { recursive: true, force: true });
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const apply = (entries: TarEntrySpec[], maxBytes?: number) =>
    applyLayer({ platform, dest, stream: webStream(gzip(tar(entries))), maxBytes });

  const refused: { desc: string; entries: () => TarEntrySpec[]; error: RegExp }[] = [
    { desc: "../escape is refused", entries: () => [{ name: "../escape", data: "x" }], error: /"\.\." component/ },
    { desc: "a/../../escape is refused", entries: () => [{ name: "a/../../escape", data: "x" }], error: /"\.\." component/ },
    {
      desc: "a file through a symlink to an outside directory is refused",
      entries: () => [{ name: "evil", type: "symlink", linkname: outside }, { name: "evil/file", data: "x" }],
      error: /parent "evil" is a symlink/,
    },
    {
      desc: "a file through a symlink to ../../.. is refused",
      entries: () => [{ name: "evil", type: "symlink", linkname: "../../.." }, { name: "evil/x", data: "x" }],
      error: /parent "evil" is a symlink/,
    },
    {
      desc: "a hardlink to /etc/passwd does not reach the host's",
      entries: () => [{ name: "pw", type: "link", linkname: "/etc/passwd" }],
      error: /hardlink target "\/etc\/passwd" is not reachable/,
    },
    {
      desc: "a hardlink to ../outside is refused",
      entries: () => [{ name: "h", type: "link", linkname: "../outside/sentinel" }],
      error: /"\.\." component/,
    },
    {
      desc: "a hardlink through a symlinked directory is refused",
      entries: () => [{ name: "d", type: "symlink", linkname: outside }, { name: "h", type: "link", linkname: "d/sentinel" }],
      error: /"d" is a symlink/,
    },
    {
      desc: "a device node through a symlink is refused",
      entries: () => [
        { name: "d", type: "symlink", linkname: outside },
        { name: "d/mem", type: "char", devmajor: 1, devminor: 1 },
      ],
      error: /parent "d" is a symlink/,
    },
    {
      desc: "a whiteout through a symlink is refused",
      entries: () => [{ name: "d", type: "symlink", linkname: outside }, { name: "d/.wh.sentinel" }],
      error: /parent "d" is a symlink/,
    },
    {
      desc: "an opaque marker through a symlink is refused",
      entries: () => [{ name: "d", type: "symlink", linkname: outside }, { name: "d/.wh..wh..opq" }],
      error: /parent "d" is a symlink/,
    },
    {
      desc: "a huge PAX header is refused before it is buffered",
      entries: () => [{ name: "PaxHeaders/x", typeflag: "x", size: 100 << 20 }],
      error: /pax header of 104857600 bytes exceeds the limit of 1048576 bytes/,
    },
    {
      desc: "a bad header checksum is refused",
      entries: () => [{ name: "ok", data: "1" }, { name: "bad", corruptChecksum: true }],
      error: /header at byte 1024: header checksum mismatch/,
    },
  ];
  for (const tc of refused) {
    test(tc.desc, async () => {
      const err = await apply(tc.entries()).catch((e) => e);
      expect(err).toBeInstanceOf(UnpackError);
      expect(err.message).toMatch(tc.error);
    });
  }

  test("an absolute /etc path is contained under the layer directory", async () => {
    await apply([{ name: `/etc/${hostName}`, data: "inside" }]);
    expect(readFileSync(join(dest, "etc", hostName), "utf8")).toBe("inside");
  });

  test("a directory entry replacing a symlink to outside becomes a real directory", async () => {
    await apply([
      { name: "d", type: "symlink", linkname: outside },
      { name: "d/", type: "dir", mode: 0o700 },
      { name: "d/sentinel", data: "mine" },
    ]);
    expect(lstatSync(join(dest, "d")).isDirectory()).toBe(true);
    expect(readFileSync(join(dest, "d/sentinel"), "utf8")).toBe("mine");
  });

  test("a directory's deferred mode does not follow a parent later replaced by a symlink", async () => {
    const before = lstatSync(outside);
    await apply([
      { name: "a/outside/", mode: 0o777, uid: 1234, mtime: 1_000_000_000 },
      { name: "a", type: "symlink", linkname: base },
    ]);
    const after = lstatSync(outside);
    expect([after.mode, after.uid, after.mtimeMs]).toEqual([before.mode, before.uid, before.mtimeMs]);
  });

  test("a truncated tar is refused, naming the entry", async () => {
    const cut = tar([{ name: "big", data: "x".repeat(10_000) }]).subarray(0, 4096);
    const err = await applyLayer({ platform, dest, stream: webStream(gzip(cut)) }).catch((e) => e);
    expect(err).toBeInstanceOf(TarFormatError);
    expect(err.message).toBe('layer entry "big": archive truncated in the file body');
  });

  test("a gzip of 200 MiB of zeros stops at maxBytes = 10 MiB", async () => {
    const header = tar([{ name: "zeros", size: 200 << 20 }], { end: false });
    // gzip members concatenate, so the 200 MiB body need not be copied after the header.
    const bomb = concat([gzip(header), gzip(new Uint8Array(200 << 20))]);
    expect(bomb.length).toBeLessThan(1 << 20);
    const err = await applyLayer({ platform, dest, stream: webStream(bomb), maxBytes: 10 << 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackLimitError);
    expect(err.message).toContain("exceeds the limit of 10485760 bytes");
    expect(lstatSync(join(dest, "zeros")).size).toBeLessThanOrEqual(10 << 20);
  });
});
