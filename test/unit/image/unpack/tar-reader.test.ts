import { describe, expect, test } from "bun:test";
import { TarFormatError, UnpackLimitError } from "../../../../src/image/unpack/errors.ts";
import { type TarEntry, readTar } from "../../../../src/image/unpack/tar-reader.ts";
import { parseNumeric } from "../../../../src/image/unpack/tar-header.ts";
import { base256, chunked, concat, paxGlobal, tar, webStream } from "../../../support/tar-writer.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

interface Read extends Omit<TarEntry, "body" | "xattrs"> {
  data: string;
  xattrs: Record<string, string>;
}

/** Reads every entry with its body as text. */
async function readAll(archive: Uint8Array, chunk = 4096, opts = {}): Promise<Read[]> {
  const out: Read[] = [];
  for await (const e of readTar(chunked(archive, chunk), opts)) {
    const parts: Uint8Array[] = [];
    for await (const c of e.body) parts.push(c.slice());
    const { body: _, xattrs, ...rest } = e;
    out.push({ ...rest, data: text(concat(parts)), xattrs: Object.fromEntries([...xattrs].map(([k, v]) => [k, text(v)])) });
  }
  return out;
}

describe("readTar", () => {
  test("reads every entry type with its header fields", async () => {
    const archive = tar([
      { name: "dir/", mode: 0o755, uid: 1, gid: 2, uname: "u", gname: "g" },
      { name: "dir/file", data: "hello", mode: 0o4755, uid: 1000, gid: 1000, mtime: 1_600_000_000 },
      { name: "dir/hard", type: "link", linkname: "dir/file" },
      { name: "dir/soft", type: "symlink", linkname: "../elsewhere" },
      { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
      { name: "dev/sda", type: "block", devmajor: 8, devminor: 0 },
      { name: "pipe", type: "fifo" },
      { name: "contig", typeflag: "7", data: "c" },
      { name: "old", typeflag: "\0", data: "v7" },
      { name: "olddir/", typeflag: "\0" },
    ]);
    const got = await readAll(archive);
    expect(got.map((e) => [e.name, e.type, e.data])).toEqual([
      ["dir/", "dir", ""],
      ["dir/file", "file", "hello"],
      ["dir/hard", "link", ""],
      ["dir/soft", "symlink", ""],
      ["dev/null", "char", ""],
      ["dev/sda", "block", ""],
      ["pipe", "fifo", ""],
      ["contig", "file", "c"],
      ["old", "file", "v7"],
      ["olddir/", "dir", ""],
    ]);
    expect(got[0]).toMatchObject({ uid: 1, gid: 2, uname: "u", gname: "g", mode: 0o755 });
    expect(got[1]).toMatchObject({ mode: 0o4755, uid: 1000, gid: 1000, mtime: 1_600_000_000, size: 5 });
    expect(got[2]!.linkname).toBe("dir/file");
    expect(got[3]!.linkname).toBe("../elsewhere");
    expect(got[4]).toMatchObject({ devmajor: 1, devminor: 3, mode: 0o666 });
    expect(got[5]).toMatchObject({ devmajor: 8, devminor: 0 });
  });

  test("applies PAX records: long path and link, size, ids, names, fractional times, xattrs", async () => {
    const long = `${"d".repeat(120)}/${"f".repeat(120)}`;
    const archive = tar([
      {
        name: long,
        data: "x",
        uid: 3_000_000,
        gid: 4_000_000,
        mtime: 1_700_000_000.25,
        atime: 1_700_000_001.5,
        xattrs: { "user.a": "1", "security.capability": new Uint8Array([1, 0, 0, 2]) },
        pax: { uname: "ünï", gname: "grp" },
      },
      { name: "l", type: "symlink", linkname: "t".repeat(300) },
    ]);
    const [a, b] = await readAll(archive);
    expect(a).toMatchObject({ name: long, uid: 3_000_000, gid: 4_000_000, mtime: 1_700_000_000.25, atime: 1_700_000_001.5 });
    expect(a).toMatchObject({ uname: "ünï", gname: "grp", data: "x" });
    expect(a!.xattrs["user.a"]).toBe("1");
    expect(Object.keys(a!.xattrs)).toEqual(["user.a", "security.capability"]);
    expect(b!.linkname).toBe("t".repeat(300));
  });

  test("keeps xattr values as raw bytes", async () => {
    const raw = new Uint8Array([0, 1, 2, 0xff, 0x0a, 0x3d]);
    for await (const e of readTar(chunked(tar([{ name: "f", xattrs: { "trusted.x": raw } }])))) {
      expect([...e.xattrs.get("trusted.x")!]).toEqual([...raw]);
    }
  });

  test("joins the ustar prefix and name", async () => {
    const name = `${"p".repeat(150)}/${"n".repeat(90)}`;
    const [e] = await readAll(tar([{ name, data: "y" }]));
    expect(e!.name).toBe(name);
  });

  test("applies global PAX records to every later entry, and a local empty value cancels one", async () => {
    const archive = tar([
      paxGlobal({ uname: "global", "SCHILY.xattr.user.g": "v" }),
      { name: "a" },
      { name: "b", pax: { uname: "" } },
    ]);
    const [a, b] = await readAll(archive);
    expect(a).toMatchObject({ uname: "global", xattrs: { "user.g": "v" } });
    expect(b!.uname).toBe("root");
  });

  test("reads GNU long names and long link names", async () => {
    const name = "n".repeat(300);
    const [e] = await readAll(tar([{ name, type: "symlink", linkname: "l".repeat(200), longNames: "gnu" }]));
    expect(e).toMatchObject({ name, linkname: "l".repeat(200), type: "symlink" });
  });

  test("reads base-256 numeric fields", async () => {
    const [e] = await readAll(tar([{ name: "big", uid: 70_000_000, gid: 5, mtime: 1_700_000_000, data: "z", base256: true }]));
    expect(e).toMatchObject({ uid: 70_000_000, gid: 5, mtime: 1_700_000_000, data: "z" });
    expect(parseNumeric(base256(-1, 12), 0, 12, "mtime")).toBe(-1);
    expect(parseNumeric(base256(2 ** 40, 12), 0, 12, "size")).toBe(2 ** 40);
  });

  test("streams large bodies in chunks across odd chunk boundaries", async () => {
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    for (const size of [1, 511, 513, 100_000]) {
      const archive = tar([{ name: "big", data }, { name: "after", data: "tail" }]);
      let chunks = 0;
      const seen: Uint8Array[] = [];
      for await (const e of readTar(chunked(archive, size))) {
        for await (const c of e.body) {
          chunks++;
          seen.push(c.slice());
        }
      }
      expect(concat(seen).length).toBe(300_004);
      expect(chunks).toBeGreaterThan(1);
    }
  });

  test("skips a body the reader did not consume", async () => {
    const archive = tar([{ name: "a", data: "x".repeat(5000) }, { name: "b", data: "bee" }]);
    const names: string[] = [];
    let bBody = "";
    for await (const e of readTar(chunked(archive, 700))) {
      names.push(e.name);
      if (e.name === "b") for await (const c of e.body) bBody += text(c);
    }
    expect(names).toEqual(["a", "b"]);
    expect(bBody).toBe("bee");
  });

  test("gives header-only types no body, whatever their size field says", async () => {
    // Go's archive/tar does the same, so both see the next header at the same offset.
    const archive = tar([
      { name: "d/", type: "dir", size: 512 },
      { name: "s", type: "symlink", linkname: "t", size: 100 },
      { name: "f", data: "after" },
    ]);
    const got = await readAll(archive);
    expect(got.map((e) => [e.name, e.size, e.data])).toEqual([["d/", 0, ""], ["s", 0, ""], ["f", 5, "after"]]);
  });

  test("accepts a web ReadableStream and an archive without end blocks", async () => {
    const archive = tar([{ name: "a", data: "1" }], { end: false });
    const names: string[] = [];
    for await (const e of readTar(webStream(archive, 100))) names.push(e.name);
    expect(names).toEqual(["a"]);
  });

  const broken: { desc: string; archive: () => Uint8Array; error: RegExp; cls?: typeof TarFormatError }[] = [
    { desc: "a bad checksum is refused", archive: () => tar([{ name: "a", corruptChecksum: true }]), error: /checksum mismatch/ },
    {
      desc: "a body cut short is refused",
      archive: () => tar([{ name: "a", data: "x".repeat(2000) }]).subarray(0, 1500),
      error: /truncated in the file body/,
    },
    { desc: "a header cut short is refused", archive: () => tar([{ name: "a" }]).subarray(0, 300), error: /truncated in a header/ },
    {
      desc: "a pax header without its entry is refused",
      archive: () => tar([{ name: "a", xattrs: { "user.x": "y" } }]).subarray(0, 1024),
      error: /extended header/,
    },
    {
      desc: "a non-octal numeric field is refused",
      archive: () => {
        const a = tar([{ name: "a" }]);
        a.set(new TextEncoder().encode("9"), 124);
        fixChecksum(a);
        return a;
      },
      error: /size: invalid octal digit/,
    },
    {
      desc: "a pax header over the limit is refused before it is read",
      archive: () => tar([{ name: "a", pax: { comment: "c".repeat(2 << 20) } }]),
      error: /pax header of \d+ bytes exceeds the limit of 1048576 bytes/,
      cls: UnpackLimitError,
    },
    {
      desc: "a GNU long name over the limit is refused",
      archive: () => tar([{ name: "n".repeat(2 << 20), longNames: "gnu" }]),
      error: /GNU long name .* exceeds the limit/,
      cls: UnpackLimitError,
    },
    {
      desc: "a malformed pax record is refused",
      archive: () => tar([{ name: "a", typeflag: "x", data: "99 path=x\n" }, { name: "b" }]),
      error: /pax header: record at byte 0 overruns its length/,
    },
    {
      desc: "a uid that would wrap around in chown is refused",
      archive: () => tar([{ name: "u", uid: 2 ** 32 + 5 }]),
      error: /uid 4294967301 or gid 0 out of range/,
    },
    {
      desc: "a negative base-256 gid is refused",
      archive: () => {
        const a = tar([{ name: "g" }]);
        a.set(base256(-1, 8), 116);
        fixChecksum(a);
        return a;
      },
      error: /out of range/,
    },
    { desc: "a sparse file is refused", archive: () => tar([{ name: "s", typeflag: "S" }]), error: /unsupported entry type 'S'/ },
    {
      desc: "PAX sparse records are refused",
      archive: () => tar([{ name: "s", pax: { "GNU.sparse.major": "1" } }]),
      error: /sparse files are not supported/,
    },
  ];
  for (const tc of broken) {
    test(tc.desc, async () => {
      const err = await readAll(tc.archive()).catch((e) => e);
      expect(err).toBeInstanceOf(tc.cls ?? TarFormatError);
      expect(String(err.message)).toMatch(tc.error);
    });
  }

  test("bounds the number of entries", async () => {
    const archive = tar([{ name: "a" }, { name: "b" }, { name: "c" }]);
    const err = await readAll(archive, 4096, { maxEntries: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackLimitError);
    expect(err.message).toContain("more than 2 entries");
  });

  test("refuses to read a body after moving to the next entry", async () => {
    const it = readTar(chunked(tar([{ name: "a", data: "1" }, { name: "b" }])));
    const a = (await it.next()).value as TarEntry;
    await it.next();
    const err = await (async () => {
      for await (const _ of a.body) {
      }
    })().catch((e) => e);
    expect(err.message).toContain("body read after the reader moved");
    await it.return(undefined);
  });

  test("reads the stream to its end after the end marker", async () => {
    const archive = tar([{ name: "a" }], { recordSize: 10240 });
    let pulled = 0;
    async function* counting() {
      for await (const c of chunked(archive, 512)) {
        pulled += c.length;
        yield c;
      }
    }
    for await (const _ of readTar(counting())) {
    }
    expect(pulled).toBe(10240);
  });
});

function fixChecksum(a: Uint8Array): void {
  a.fill(0x20, 148, 156);
  const sum = a.subarray(0, 512).reduce((n, b) => n + b, 0);
  a.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
}
