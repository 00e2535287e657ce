import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { applyLayer } from "../../../../src/image/unpack/apply-layer.ts";
import { decompressLayer } from "../../../../src/image/unpack/decompress.ts";
import { openNativeDecoder, RING } from "../../../../src/image/unpack/native-decoders.ts";
import { concat, gzip, sha256, type TarEntrySpec, tar, webStream, zstd } from "../../../support/tar-writer.ts";
import { fakePlatform, type Scratch, scratch } from "./fixture.ts";

/** Bytes that compress somewhat (text-like) with random stretches, from a seed. */
function sample(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) % 4 === 0 ? x & 0xff : 97 + ((x >>> 8) % 6);
  }
  return out;
}

/** `bytes` as chunks of `size` bytes copied into a ring of `ring` buffers, each used again. */
async function* ringSource(bytes: Uint8Array, size: number, ring: number): AsyncGenerator<Uint8Array> {
  const bufs = Array.from({ length: ring }, () => new Uint8Array(size));
  for (let off = 0, i = 0; off < bytes.length; off += size, i++) {
    const b = bufs[i % ring]!;
    const part = bytes.subarray(off, off + size);
    b.set(part);
    yield b.subarray(0, part.length);
  }
}

/** Reads a layer blob through the native decoders (reuseBuffers) or node:zlib, for its digests. */
async function digestsOf(blob: Uint8Array, reuseBuffers: boolean) {
  const layer = decompressLayer(webStream(blob, 50_000), { reuseBuffers });
  for await (const _ of layer) {
    // read through
  }
  return layer.digests();
}

/** Feeds `blob` in pieces of the given sizes (cycled) and copies every chunk at once. */
function inflateAll(blob: Uint8Array, sizes: number[], kind: "gzip" | "zstd" = "gzip"): Uint8Array {
  const gz = openNativeDecoder(kind)!;
  const parts: Uint8Array[] = [];
  try {
    for (let off = 0, i = 0; off < blob.length; i++) {
      const n = sizes[i % sizes.length]!;
      for (const out of gz.push(blob.subarray(off, off + n))) parts.push(out.slice());
      off += n;
    }
    gz.finish();
  } finally {
    gz.close();
  }
  return concat(parts);
}

describe("native gunzip (libz through FFI)", () => {
  const data = sample(3 * 2 ** 20 + 12345);
  const blob = gzip(data);

  test("is there on this Linux host", () => {
    expect(openNativeDecoder("gzip")).toBeDefined();
  });

  test("gives back the bytes, whatever the input's chunking", () => {
    for (const sizes of [[blob.length], [1, 7, 4096], [65536], [100_000, 3]]) {
      expect(sha256(inflateAll(blob, sizes))).toBe(sha256(data));
    }
  });

  test("reads concatenated members, and zero padding after them, as node:zlib does", () => {
    const a = sample(300_000, 2);
    const b = sample(70_000, 3);
    const joined = concat([gzip(a), new Uint8Array(5), gzip(b), new Uint8Array(700)]);
    expect(sha256(inflateAll(joined, [4096]))).toBe(sha256(concat([a, b])));
  });

  test("a cut stream, garbage after a member, and corrupt data are errors", () => {
    expect(() => inflateAll(blob.subarray(0, blob.length - 10), [65536])).toThrow("unexpected end of file");
    expect(() => inflateAll(new Uint8Array(0), [1])).toThrow("unexpected end of file");
    expect(() => inflateAll(concat([gzip(sample(1000)), new TextEncoder().encode("junk")]), [4096])).toThrow("gzip:");
    const corrupt = blob.slice();
    corrupt.fill(0x55, 1000, 1200);
    expect(() => inflateAll(corrupt, [65536])).toThrow("gzip:");
  });

  test(`a chunk stays intact while ${RING - 1} more are read`, () => {
    const gz = openNativeDecoder("gzip")!;
    try {
      const held: { view: Uint8Array; copy: Uint8Array }[] = [];
      for (const out of gz.push(blob)) {
        held.push({ view: out, copy: out.slice() });
        if (held.length === RING) break;
      }
      // Chunk 0 has seen RING - 1 chunks after it: still intact.
      expect(held.every((h) => sha256(h.view) === sha256(h.copy))).toBe(true);
    } finally {
      gz.close();
    }
  });

  test("a layer's digests are the same through either decoder", async () => {
    expect(await digestsOf(blob, true)).toEqual(await digestsOf(blob, false));
  });
});

describe("native zstd (libzstd through FFI)", () => {
  const data = sample(3 * 2 ** 20 + 777, 5);
  const blob = zstd(data);

  test("is there on this Linux host", () => {
    expect(openNativeDecoder("zstd")).toBeDefined();
  });

  test("gives back the bytes, whatever the input's chunking", () => {
    for (const sizes of [[blob.length], [1, 7, 4096], [65536], [100_000, 3]]) {
      expect(sha256(inflateAll(blob, sizes, "zstd"))).toBe(sha256(data));
    }
  });

  test("reads several frames, skippable frames included", () => {
    const a = sample(300_000, 6);
    const b = sample(70_000, 7);
    // A skippable frame: magic 0x184D2A5x, a 4-byte length, that many bytes.
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const joined = concat([zstd(a), skippable, zstd(b)]);
    expect(sha256(inflateAll(joined, [4096], "zstd"))).toBe(sha256(concat([a, b])));
  });

  test("a stream cut inside a frame, and corrupt data, are errors", () => {
    expect(() => inflateAll(blob.subarray(0, blob.length - 10), [65536], "zstd")).toThrow("unexpected end of file");
    expect(() => inflateAll(new Uint8Array(0), [1], "zstd")).toThrow("unexpected end of file");
    const corrupt = blob.slice();
    corrupt.fill(0x55, 0, 8);
    expect(() => inflateAll(corrupt, [65536], "zstd")).toThrow("zstd:");
  });

  test("a layer's digests are the same through either decoder", async () => {
    expect(await digestsOf(blob, true)).toEqual(await digestsOf(blob, false));
  });
});

describe("a source that reuses its buffer", () => {
  const tarBytes = tar([{ name: "a", data: sample(700_000, 21) }, { name: "b", data: sample(3, 22) }]);
  const plain = async (blob: Uint8Array) => digestsOf(blob, false);
  /** Reads the layer keeping every chunk it hands out, as a reader that did not ask for `reuseBuffers` may. */
  const reused = async (blob: Uint8Array, size: number) => {
    const layer = decompressLayer(ringSource(blob, size, 1), { sourceReusesBuffers: true });
    const kept: Uint8Array[] = [];
    for await (const chunk of layer) kept.push(chunk);
    return { digests: layer.digests(), kept: sha256(concat(kept)) };
  };

  test("is copied where node:zlib or an ordinary reader keeps its chunks", async () => {
    for (const blob of [gzip(tarBytes), zstd(tarBytes), tarBytes]) {
      const want = await plain(blob);
      // 3-byte chunks make the sniffed head span reads as well.
      for (const size of [3, 4096, 65_536]) expect(await reused(blob, size)).toEqual({ digests: want, kept: sha256(tarBytes) });
    }
  });
});

describe("a layer unpacked through the ring of buffers", () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
  });
  afterEach(() => s.cleanup());

  // Pax headers, GNU long names, links and files of every size, so that headers, pax
  // records and their padding fall across the 256 KiB chunk boundaries of the ring.
  const entries: TarEntrySpec[] = [{ name: "d/" }];
  for (let i = 0; i < 400; i++) {
    const long = `d/${"n".repeat(90 + (i % 40))}-${i}`;
    const size = [0, 1, 511, 512, 513, 4000, 70_000, 300_000][i % 8]!;
    entries.push({ name: long, data: sample(size, i + 10), pax: { "SCHILY.xattr.user.i": String(i) }, longNames: i % 2 ? "gnu" : "pax" });
    if (i % 50 === 0) entries.push({ name: `d/link-${i}`, type: "symlink", linkname: long });
  }
  const layerTar = tar(entries);
  const blob = gzip(layerTar);

  const check = (dest: string) => {
    for (const e of entries) {
      const p = join(dest, e.name);
      if (e.type === "symlink") expect(readlinkSync(p)).toBe(e.linkname!);
      else if (e.name.endsWith("/")) expect(statSync(p).isDirectory()).toBe(true);
      else expect(sha256(readFileSync(p))).toBe(sha256(e.data as Uint8Array));
    }
  };

  test("the tar reader and body writer keep no chunk past the next, so even one reused buffer is enough", async () => {
    for (const size of [100, 512, 700, 1000, 1500, 65_536]) {
      const dest = join(s.base, `single-${size}`);
      mkdirSync(dest);
      const r = await applyLayer({ platform: fakePlatform(), dest, stream: ringSource(layerTar, size, 1), compression: "none" });
      expect(r.diffId).toBe(sha256(layerTar));
      check(dest);
    }
  });

  test("gives back every entry, byte for byte, gzip and zstd", async () => {
    expect(layerTar.length).toBeGreaterThan(20 * 256 * 1024);
    const r = await applyLayer({ platform: fakePlatform(), dest: s.dest, stream: webStream(blob, 65_536) });
    expect(r.diffId).toBe(sha256(layerTar));
    check(s.dest);
    const zdest = join(s.base, "zstd");
    mkdirSync(zdest);
    const z = await applyLayer({ platform: fakePlatform(), dest: zdest, stream: webStream(zstd(layerTar), 65_536) });
    expect(z.diffId).toBe(sha256(layerTar));
    check(zdest);
    expect(readdirSync(join(s.dest, "d")).length).toBe(entries.length - 1);
  });
});
