import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { applyLayer } from "../../../../src/image/unpack/apply-layer.ts";
import { UnpackError, UnpackLimitError } from "../../../../src/image/unpack/errors.ts";
import { ZstdFrameTracker } from "../../../../src/image/unpack/zstd-frames.ts";
import type { FakePlatform } from "../../../../src/platform/fake/index.ts";
import { chunked, concat, gzip, sha256, tar, webStream, zstd } from "../../../support/tar-writer.ts";
import { fakePlatform, type Scratch, scratch } from "./fixture.ts";

describe("applyLayer", () => {
  let s: Scratch;
  let p: FakePlatform;
  beforeEach(() => {
    s = scratch();
    p = fakePlatform();
  });
  afterEach(() => s.cleanup());

  const layerTar = tar([{ name: "etc/" }, { name: "etc/os-release", data: "ID=skiff\n" }], { recordSize: 10240 });

  for (const [compression, blob] of [
    ["gzip", gzip(layerTar)],
    ["zstd", zstd(layerTar)],
    ["none", layerTar],
  ] as const) {
    test(`unpacks a ${compression} layer and reports its digest, diff id and sizes`, async () => {
      const r = await applyLayer({ platform: p, dest: s.dest, stream: webStream(blob, 333) });
      expect(r).toEqual({
        entries: 2,
        size: 9,
        warnings: [],
        compression,
        digest: sha256(blob),
        compressedSize: blob.length,
        diffId: sha256(layerTar),
        uncompressedSize: layerTar.length,
      });
      expect(readFileSync(join(s.dest, "etc/os-release"), "utf8")).toBe("ID=skiff\n");
    });
  }

  test("checks the expected digest and diff id", async () => {
    const blob = gzip(layerTar);
    await applyLayer({
      platform: p,
      dest: s.dest,
      stream: chunked(blob),
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      expectedDigest: sha256(blob),
      expectedDiffId: sha256(layerTar),
    });
    const err = await applyLayer({ platform: p, dest: s.dest, stream: chunked(blob), expectedDiffId: "sha256:00" }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(UnpackError);
    expect(err.message).toBe(`layer diff id mismatch: expected sha256:00, got ${sha256(layerTar)}`);
  });

  test("stops a decompression bomb before it fills the disk", async () => {
    const bomb = gzip(tar([{ name: "zeros", data: new Uint8Array(8 << 20) }]));
    const err = await applyLayer({ platform: p, dest: s.dest, stream: chunked(bomb), maxBytes: 1 << 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackLimitError);
    expect(err.message).toContain("exceeds the limit of 1048576 bytes");
  });

  test("names the entry when the body is cut short", async () => {
    const cut = tar([{ name: "big", data: "x".repeat(4000) }]).subarray(0, 2048);
    const err = await applyLayer({ platform: p, dest: s.dest, stream: chunked(cut) }).catch((e) => e);
    expect(err.message).toBe('layer entry "big": archive truncated in the file body');
  });

  test("bounds the number of entries", async () => {
    const many = tar(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}` })));
    const err = await applyLayer({ platform: p, dest: s.dest, stream: chunked(many), maxEntries: 10 }).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackLimitError);
    expect(readdirSync(s.dest).length).toBe(10);
  });
});

describe("ZstdFrameTracker", () => {
  const frame = zstd(new TextEncoder().encode("hello ".repeat(100)));
  const skippable = new Uint8Array([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
  const cases: { desc: string; bytes: Uint8Array; complete: boolean }[] = [
    { desc: "one whole frame is complete", bytes: frame, complete: true },
    { desc: "frames and skippable frames back to back are complete", bytes: concat([frame, skippable, frame]), complete: true },
    { desc: "a frame cut by one byte is not complete", bytes: frame.subarray(0, frame.length - 1), complete: false },
    { desc: "a cut skippable frame is not complete", bytes: concat([frame, skippable.subarray(0, 9)]), complete: false },
    { desc: "a lone magic number is not complete", bytes: frame.subarray(0, 4), complete: false },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      for (const size of [1, 3, 1000]) {
        const t = new ZstdFrameTracker();
        for (let i = 0; i < tc.bytes.length; i += size) t.update(tc.bytes.subarray(i, i + size));
        expect(t.complete).toBe(tc.complete);
      }
    });
  }
});
