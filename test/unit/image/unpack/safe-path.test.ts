/**
 * Hostile layers must not write outside the layer directory (DESIGN.md rule 5). Each
 * case is refused or contained, and the sentinel directory next to `dest` is untouched.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { UnpackError } from "../../../../src/image/unpack/errors.ts";
import { splitEntryPath } from "../../../../src/image/unpack/safe-path.ts";
import type { FakePlatform } from "../../../../src/platform/fake/index.ts";
import type { TarEntrySpec } from "../../../support/tar-writer.ts";
import { applySpecs, fakePlatform, type Scratch, scratch } from "./fixture.ts";

describe("splitEntryPath", () => {
  const cases: { desc: string; name: string; parts?: string[]; error?: RegExp }[] = [
    { desc: "a plain relative name is kept", name: "usr/bin/env", parts: ["usr", "bin", "env"] },
    { desc: "a leading slash is dropped (rooted names are relative to the image root)", name: "/etc/x", parts: ["etc", "x"] },
    { desc: "dot and empty components are dropped", name: "./a//./b/", parts: ["a", "b"] },
    { desc: "the root itself is no components", name: "./", parts: [] },
    { desc: "a leading .. is refused", name: "../escape", error: /has a "\.\." component/ },
    { desc: "a .. that climbs above the root is refused", name: "a/../../escape", error: /"\.\."/ },
    { desc: "any .. is refused, even one that stays inside", name: "a/../b", error: /"\.\."/ },
    { desc: "a rooted .. is refused", name: "/../etc/passwd", error: /"\.\."/ },
    { desc: "a NUL byte is refused", name: "a\0b", error: /NUL/ },
    { desc: "dots inside a component are ordinary", name: "a/..b/c..", parts: ["a", "..b", "c.."] },
    { desc: "a backslash is an ordinary character", name: "..\\x", parts: ["..\\x"] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      if (tc.error) expect(() => splitEntryPath(tc.name)).toThrow(tc.error);
      else expect(splitEntryPath(tc.name)).toEqual(tc.parts!);
    });
  }
});

describe("extraction stays inside the layer directory", () => {
  let s: Scratch;
  let p: FakePlatform;
  beforeEach(() => {
    s = scratch();
    p = fakePlatform();
  });
  afterEach(() => {
    expect(s.outsideListing()).toEqual(["sentinel"]);
    expect(s.sentinelIntact()).toBe(true);
    s.cleanup();
  });

  const refused: { desc: string; entries: (outside: string) => TarEntrySpec[]; error: RegExp }[] = [
    { desc: "../escape is refused", entries: () => [{ name: "../escape", data: "x" }], error: /"\.\."/ },
    { desc: "a/../../escape is refused", entries: () => [{ name: "a/../../escape", data: "x" }], error: /"\.\."/ },
    {
      desc: "writing through a symlink to an absolute outside path is refused",
      entries: (o) => [{ name: "evil", type: "symlink", linkname: o }, { name: "evil/file", data: "x" }],
      error: /layer entry "evil\/file": parent "evil" is a symlink/,
    },
    {
      desc: "writing through a relative symlink that climbs out is refused",
      entries: () => [{ name: "evil", type: "symlink", linkname: "../../.." }, { name: "evil/x", data: "x" }],
      error: /parent "evil" is a symlink/,
    },
    {
      desc: "writing through a symlink that points inside is refused too",
      entries: () => [{ name: "real/" }, { name: "alias", type: "symlink", linkname: "real" }, { name: "alias/f", data: "x" }],
      error: /parent "alias" is a symlink/,
    },
    {
      desc: "a symlinked directory deeper in the path is refused",
      entries: (o) => [{ name: "a/" }, { name: "a/b", type: "symlink", linkname: o }, { name: "a/b/c/d", data: "x" }],
      error: /parent "a\/b" is a symlink/,
    },
    {
      desc: "a hardlink to /etc/passwd is read as the layer's own etc/passwd, which is absent",
      entries: () => [{ name: "pw", type: "link", linkname: "/etc/passwd" }],
      error: /hardlink target "\/etc\/passwd" is not reachable: "etc" does not exist in this layer/,
    },
    {
      desc: "a hardlink to ../outside is refused",
      entries: () => [{ name: "h", type: "link", linkname: "../outside/sentinel" }],
      error: /"\.\."/,
    },
    {
      desc: "a hardlink through a symlinked directory is refused",
      entries: (o) => [{ name: "d", type: "symlink", linkname: o }, { name: "h", type: "link", linkname: "d/sentinel" }],
      error: /hardlink target "d\/sentinel" is not reachable: "d" is a symlink/,
    },
    {
      desc: "a hardlink to a directory is refused",
      entries: () => [{ name: "d/" }, { name: "h", type: "link", linkname: "d" }],
      error: /is a directory/,
    },
    {
      desc: "a hardlink to itself is refused",
      entries: () => [{ name: "h", data: "x" }, { name: "h", type: "link", linkname: "h" }],
      error: /is the entry itself/,
    },
    {
      desc: "a hardlink to a file of a lower layer is refused",
      entries: () => [{ name: "bin/" }, { name: "bin/sh2", type: "link", linkname: "bin/sh" }],
      error: /is not in this layer/,
    },
    {
      desc: "an opaque marker under a symlink is refused",
      entries: (o) => [{ name: "evil", type: "symlink", linkname: o }, { name: "evil/.wh..wh..opq" }],
      error: /parent "evil" is a symlink/,
    },
    {
      desc: "a whiteout under a symlink is refused",
      entries: (o) => [{ name: "evil", type: "symlink", linkname: o }, { name: "evil/.wh.sentinel" }],
      error: /parent "evil" is a symlink/,
    },
    {
      desc: "a device under a symlink is refused",
      entries: (o) => [{ name: "evil", type: "symlink", linkname: o }, { name: "evil/null", type: "char", devmajor: 1, devminor: 3 }],
      error: /parent "evil" is a symlink/,
    },
    {
      desc: "a file used as a directory is refused",
      entries: () => [{ name: "a", data: "x" }, { name: "a/b", data: "y" }],
      error: /parent "a" is not a directory/,
    },
    {
      desc: "a PAX path with a NUL byte is refused",
      entries: () => [{ name: "x", pax: { path: "ok\0/../../escape" } }],
      error: /NUL/,
    },
    { desc: "a whiteout that names nothing is refused", entries: () => [{ name: "d/.wh." }], error: /whiteout names no file/ },
    { desc: "a whiteout of .. is refused", entries: () => [{ name: ".wh..." }], error: /whiteout names no file/ },
    { desc: "a file as the root is refused", entries: () => [{ name: "/", type: "file" }], error: /cannot replace the root/ },
  ];
  for (const tc of refused) {
    test(tc.desc, async () => {
      const err = await applySpecs(p, s.dest, tc.entries(s.outside)).catch((e) => e);
      expect(err).toBeInstanceOf(UnpackError);
      expect(err.message).toMatch(tc.error);
      for (const [path] of [...p.callsOf("mknod"), ...p.callsOf("lsetxattr"), ...p.callsOf("lchown")]) {
        expect(path.startsWith(`${s.dest}/`) || path === s.dest).toBe(true);
      }
    });
  }

  test("an absolute name is contained under the layer directory", async () => {
    await applySpecs(p, s.dest, [{ name: "/etc/x", data: "in" }]);
    expect(readFileSync(join(s.dest, "etc/x"), "utf8")).toBe("in");
  });

  test("a symlink pointing outside is created as a symlink, not followed", async () => {
    await applySpecs(p, s.dest, [{ name: "out", type: "symlink", linkname: join(s.outside, "sentinel") }]);
    expect(readlinkSync(join(s.dest, "out"))).toBe(join(s.outside, "sentinel"));
  });

  test("a file replacing a symlink to outside replaces the link, not its target", async () => {
    await applySpecs(p, s.dest, [
      { name: "s", type: "symlink", linkname: join(s.outside, "sentinel") },
      { name: "s", data: "new" },
    ]);
    expect(lstatSync(join(s.dest, "s")).isFile()).toBe(true);
    expect(readFileSync(join(s.dest, "s"), "utf8")).toBe("new");
  });

  test("a directory replacing a symlink to outside becomes a real directory", async () => {
    await applySpecs(p, s.dest, [
      { name: "s", type: "symlink", linkname: s.outside },
      { name: "s/", type: "dir" },
      { name: "s/file", data: "inside" },
    ]);
    expect(lstatSync(join(s.dest, "s")).isDirectory()).toBe(true);
    expect(readFileSync(join(s.dest, "s/file"), "utf8")).toBe("inside");
  });

  test("a symlink replacing a directory removes the directory without following anything", async () => {
    await applySpecs(p, s.dest, [
      { name: "d/" },
      { name: "d/link", type: "symlink", linkname: s.outside },
      { name: "d", type: "symlink", linkname: s.outside },
    ]);
    expect(readlinkSync(join(s.dest, "d"))).toBe(s.outside);
  });

  test("a hardlink to a symlink that points outside links the symlink itself", async () => {
    await applySpecs(p, s.dest, [
      { name: "s", type: "symlink", linkname: join(s.outside, "sentinel") },
      { name: "h", type: "link", linkname: "s" },
    ]);
    expect(lstatSync(join(s.dest, "h")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(s.dest, "h")).ino).toBe(lstatSync(join(s.dest, "s")).ino);
  });

  test("deferred directory modes and times do not follow a parent later replaced by a symlink", async () => {
    const before = lstatSync(s.outside);
    await applySpecs(p, s.dest, [
      { name: "a/outside/", mode: 0o777, mtime: 1_000_000_000 },
      { name: "a", type: "symlink", linkname: s.base },
    ]);
    const after = lstatSync(s.outside);
    expect([after.mode, after.mtimeMs]).toEqual([before.mode, before.mtimeMs]);
  });

  test("after a directory is replaced, its old subdirectories are checked again", async () => {
    const err = await applySpecs(p, s.dest, [
      { name: "a/b/" },
      { name: "a", type: "symlink", linkname: s.outside },
      { name: "a/b/c", data: "x" },
    ]).catch((e) => e);
    expect(err.message).toMatch(/parent "a" is a symlink/);
  });
});
