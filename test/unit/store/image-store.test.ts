import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openStore } from "../../../src/store/index.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-images-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => openStore(path.join(dir, `s${n++}.db`));
const d = (c: string) => `sha256:${c.repeat(64)}`;

/** An image standing on a two-layer chain c1 <- c2, needing blobs m, k, l1, l2. */
function seed(store: ReturnType<typeof fresh>, id = d("a"), refs = ["docker.io/library/busybox:latest"]) {
  store.transaction(() => {
    for (const b of [d("1"), d("2"), d("3"), d("4")]) store.images.putBlob({ digest: b, size: 10, mediaType: "x" });
    store.images.putSnapshot({ chainId: d("c"), parent: null, diffId: d("e"), path: "/s/c", size: 100, inodes: 3 });
    store.images.putSnapshot({ chainId: d("d"), parent: d("c"), diffId: d("f"), path: "/s/d", size: 50, inodes: 2 });
  });
  return store.images.put({
    id,
    manifestDigest: d("1"),
    size: 40,
    config: { config: { Env: ["A=1"] } },
    chainId: d("d"),
    pinned: false,
    info: {},
    refs,
    blobs: [d("1"), d("2"), d("3"), d("4")],
  });
}

describe("ImageStore", () => {
  test("put records the image with its refs, and finds it by id, ref and prefix", () => {
    const s = fresh();
    const img = seed(s);
    expect(img.refs).toEqual(["docker.io/library/busybox:latest"]);
    expect(s.images.findByRef("docker.io/library/busybox:latest")?.id).toBe(d("a"));
    expect(s.images.findByIdPrefix("sha256:aaaa").map((i) => i.id)).toEqual([d("a")]);
    expect(s.images.get(d("a")).config).toEqual({ config: { Env: ["A=1"] } });
  });

  test("a tag moves to the newer image that claims it", () => {
    const s = fresh();
    seed(s, d("a"), ["r:latest", "r@sha256:old"]);
    seed(s, d("b"), ["r:latest"]);
    expect(s.images.findByRef("r:latest")?.id).toBe(d("b"));
    expect(s.images.refsOf(d("a"))).toEqual(["r@sha256:old"]);
  });

  test("blobs and snapshots in use are not garbage; after delete they are", () => {
    const s = fresh();
    seed(s);
    expect(s.images.unusedBlobs()).toEqual([]);
    expect(s.images.unusedSnapshots()).toEqual([]);
    expect(s.images.delete(d("a"))).toBe(true);
    expect(s.images.unusedBlobs().map((b) => b.digest).sort()).toEqual([d("1"), d("2"), d("3"), d("4")]);
    expect(s.images.unusedSnapshots().map((x) => x.chainId)).toEqual([d("d"), d("c")]); // children first
    expect(s.images.findByRef("docker.io/library/busybox:latest")).toBeUndefined();
  });

  test("a snapshot held by something else is kept", () => {
    const s = fresh();
    seed(s);
    s.images.delete(d("a"));
    expect(s.images.unusedSnapshots([d("c")]).map((x) => x.chainId)).toEqual([d("d")]);
  });

  test("a parent snapshot cannot be deleted before its child", () => {
    const s = fresh();
    seed(s);
    s.images.delete(d("a"));
    expect(() => s.images.deleteSnapshot(d("c"))).toThrow(/children/);
    s.images.deleteSnapshot(d("d"));
    s.images.deleteSnapshot(d("c"));
    expect(s.images.snapshotUsage()).toEqual({ bytes: 0, inodes: 0 });
  });

  test("removeRef returns what names are left", () => {
    const s = fresh();
    seed(s, d("a"), ["r:1", "r:2"]);
    expect(s.images.removeRef("r:1")).toEqual(["r:2"]);
    expect(s.images.removeRef("r:nope")).toEqual([]);
  });

  test("snapshot usage sums sizes and inodes, and the chain walks top-down", () => {
    const s = fresh();
    seed(s);
    expect(s.images.snapshotUsage()).toEqual({ bytes: 150, inodes: 5 });
    expect(s.images.snapshotChain(d("d")).map((x) => x.chainId)).toEqual([d("d"), d("c")]);
  });
});
