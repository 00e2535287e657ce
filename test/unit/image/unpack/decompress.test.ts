import { describe, expect, test } from "bun:test";
import { NotSupportedError } from "../../../../src/errors.ts";
import { type Compression, decompressLayer, sniffCompression } from "../../../../src/image/unpack/decompress.ts";
import { UnpackError, UnpackLimitError } from "../../../../src/image/unpack/errors.ts";
import { chunked, concat, gzip, sha256, webStream, zstd } from "../../../support/tar-writer.ts";

const payload = new Uint8Array(200_000).map((_, i) => (i * 7) % 256);
const random = crypto.getRandomValues(new Uint8Array(300_000));

/** The first part of `b`: a fraction of it, or all but `-n` bytes. */
const cut = (b: Uint8Array, at: number) => b.subarray(0, at < 0 ? b.length + at : Math.floor(b.length * at));

async function readAll(src: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of src) parts.push(c.slice());
  return concat(parts);
}

describe("decompressLayer", () => {
  const cases: { desc: string; compression: Compression; blob: Uint8Array }[] = [
    { desc: "gzip is sniffed and decoded", compression: "gzip", blob: gzip(payload) },
    { desc: "zstd is sniffed and decoded", compression: "zstd", blob: zstd(payload) },
    { desc: "an uncompressed blob passes through", compression: "none", blob: payload },
  ];
  for (const tc of cases) {
    test(`${tc.desc}, with both digests and sizes`, async () => {
      const layer = decompressLayer(chunked(tc.blob, 1000));
      expect(await readAll(layer)).toEqual(payload);
      expect(layer.digests()).toEqual({
        compression: tc.compression,
        digest: sha256(tc.blob),
        compressedSize: tc.blob.length,
        diffId: sha256(payload),
        uncompressedSize: payload.length,
      });
    });
  }

  test("sniffs the magic bytes", () => {
    expect(sniffCompression(new Uint8Array([0x1f, 0x8b, 8, 0]))).toBe("gzip");
    expect(sniffCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]))).toBe("zstd");
    expect(sniffCompression(new TextEncoder().encode("bin/"))).toBe("none");
    expect(sniffCompression(new Uint8Array([0x1f]))).toBe("none");
  });

  test("reads a web stream and magic split across chunks", async () => {
    const layer = decompressLayer(webStream(gzip(payload), 1));
    expect(await readAll(layer)).toEqual(payload);
  });

  test("decodes concatenated gzip members as one stream", async () => {
    const half = payload.length / 2;
    const blob = concat([gzip(payload.subarray(0, half)), gzip(payload.subarray(half))]);
    expect(await readAll(decompressLayer(chunked(blob)))).toEqual(payload);
  });

  test("refuses an unknown media type", () => {
    expect(() => decompressLayer(chunked(payload), { mediaType: "application/vnd.oci.image.layer.v1.tar+encrypted" })).toThrow(
      NotSupportedError,
    );
  });

  test("decodes by the magic bytes even when the media type says otherwise", async () => {
    const layer = decompressLayer(chunked(payload), { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip" });
    expect(await readAll(layer)).toEqual(payload);
    expect(layer.compression).toBe("none");
  });

  test("stops a decompression bomb at maxBytes with an error naming the limit", async () => {
    const bomb = gzip(new Uint8Array(20 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    const err = await readAll(decompressLayer(chunked(bomb, 65536), { maxBytes: 1 << 20 })).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackLimitError);
    expect(err.message).toContain("exceeds the limit of 1048576 bytes");
  });

  test("bounds uncompressed layers too", async () => {
    const err = await readAll(decompressLayer(chunked(payload), { maxBytes: 1000 })).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackLimitError);
  });

  const broken: { desc: string; blob: Uint8Array; error: RegExp }[] = [
    { desc: "a gzip stream without its trailer is an error", blob: cut(gzip(payload), -4), error: /^gzip layer: / },
    { desc: "a gzip stream cut in the middle is an error", blob: cut(gzip(payload), 0.5), error: /^gzip layer: / },
    { desc: "a zstd stream cut in the middle is an error", blob: cut(zstd(random), 0.5), error: /^zstd layer: / },
    { desc: "a zstd stream without its checksum is an error", blob: cut(zstd(random), -2), error: /^zstd layer: / },
    {
      desc: "corrupt gzip data is an error",
      blob: (() => {
        const b = gzip(payload).slice();
        b.fill(0xaa, 20, 60);
        return b;
      })(),
      error: /^gzip layer: /,
    },
  ];
  for (const tc of broken) {
    test(tc.desc, async () => {
      const err = await readAll(decompressLayer(chunked(tc.blob))).catch((e) => e);
      expect(err).toBeInstanceOf(UnpackError);
      expect(err.message).toMatch(tc.error);
    });
  }

  test("passes a source error through", async () => {
    async function* failing() {
      yield gzip(payload).subarray(0, 100);
      throw new Error("connection reset");
    }
    const err = await readAll(decompressLayer(failing())).catch((e) => e);
    expect(describeChain(err)).toContain("connection reset");
  });

  test("closes the source when the reader stops early", async () => {
    let closed = false;
    async function* source() {
      try {
        for await (const c of chunked(gzip(payload), 100)) yield c;
      } finally {
        closed = true;
      }
    }
    for await (const _ of decompressLayer(source())) break;
    expect(closed).toBe(true);
  });

  test("has no digests until the stream was read to its end", async () => {
    const layer = decompressLayer(chunked(payload));
    expect(() => layer.digests()).toThrow(/before the layer was read/);
  });
});

function describeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as Error | undefined; e; e = e.cause as Error | undefined) parts.push(e.message);
  return parts.join(": ");
}

describe("blobVerified", () => {
  test("skips the blob hash but still computes the diff id and sizes", async () => {
    const tarBytes = new TextEncoder().encode("x".repeat(5000));
    const blob = gzip(tarBytes);
    const layer = decompressLayer(chunked(blob), { blobVerified: true });
    for await (const _ of layer) {
    }
    const d = layer.digests();
    expect(d.digest).toBe("");
    expect(d.diffId).toBe(sha256(tarBytes));
    expect(d.compressedSize).toBe(blob.length);
    expect(d.uncompressedSize).toBe(tarBytes.length);
  });
});
