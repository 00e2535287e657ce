/** Layer unpacking in a Worker: results come back, and errors keep their class (and so their gRPC code). */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UnpackError, UnpackLimitError } from "../../../../src/image/unpack/errors.ts";
import { createWorkerUnpacker, workerSpecifier } from "../../../../src/image/unpack/worker-unpacker.ts";
import { busyboxLayer, layerBlob } from "../../../support/layers.ts";
import { gzip, tar } from "../../../support/tar-writer.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-worker-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Writes a blob to disk and gives a fresh destination dir. */
function job(blob: Uint8Array) {
  const i = n++;
  const blobPath = path.join(dir, `blob${i}`);
  fs.writeFileSync(blobPath, blob);
  const dest = path.join(dir, `dest${i}`);
  fs.mkdirSync(dest);
  return { blobPath, dest };
}

describe("workerSpecifier", () => {
  const cases = [
    { desc: "from source, the worker sits next to the module", url: "file:///repo/src/image/unpack/worker-unpacker.ts", want: "file:///repo/src/image/unpack/unpack-worker.ts" },
    { desc: "in a linux binary, under the embedded src root", url: "file:///$bunfs/root/skiff-linux-x64", want: "/$bunfs/root/image/unpack/unpack-worker.ts" },
    { desc: "in a windows binary, under the embedded src root", url: "file:///B:/~BUN/root/skiff.exe", want: "B:/~BUN/root/image/unpack/unpack-worker.ts" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(workerSpecifier(tc.url)).toBe(tc.want));
});

describe.skipIf(process.getuid?.() !== 0)("createWorkerUnpacker", () => {
  const unpack = createWorkerUnpacker();

  test("unpacks a busybox layer and reports its diff id and counts", async () => {
    const layer = layerBlob(busyboxLayer());
    const j = job(layer.blob);
    const res = await unpack({ ...j, mediaType: layer.mediaType, expectedDiffId: layer.diffId });
    expect(res.diffId).toBe(layer.diffId);
    expect(res.entries).toBeGreaterThan(10);
    expect(fs.statSync(path.join(j.dest, "bin/busybox")).mode & 0o777).toBe(0o755);
  });

  test("several layers unpack at the same time", async () => {
    const layers = [1, 2, 3].map((k) => layerBlob(tar([{ name: `f${k}.txt`, data: `file ${k}\n` }])));
    const jobs = layers.map((l) => job(l.blob));
    await Promise.all(layers.map((l, i) => unpack({ ...(jobs[i] as ReturnType<typeof job>), mediaType: l.mediaType })));
    jobs.forEach((j, i) => expect(fs.readFileSync(path.join(j.dest, `f${i + 1}.txt`), "utf8")).toBe(`file ${i + 1}\n`));
  });

  test("a hostile entry comes back as an UnpackError naming it", async () => {
    const err = await unpack({ ...job(gzip(tar([{ name: "../escape", data: "x" }]))), mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" }).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackError);
    expect(err.message).toContain("escape");
    expect(fs.existsSync(path.join(dir, "escape"))).toBe(false);
  });

  test("a decompression bomb comes back as an UnpackLimitError", async () => {
    const bomb = gzip(tar([{ name: "zeros", data: new Uint8Array(8 * 1024 * 1024) }]));
    const err = await unpack({ ...job(bomb), mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", maxBytes: 1024 * 1024 }).catch((e) => e);
    expect(err).toBeInstanceOf(UnpackLimitError);
  });

  test("an abort ends the worker and rejects", async () => {
    const ctl = new AbortController();
    const p = unpack({ ...job(layerBlob(busyboxLayer()).blob) }, ctl.signal);
    ctl.abort(new Error("pull cancelled"));
    await expect(p).rejects.toThrow("pull cancelled");
  });
});
