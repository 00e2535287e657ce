/**
 * The CRI ImageService through skiff's socket (grpc-js client), pulling from a real
 * docker-registry on 127.0.0.1 filled with images built from busybox-static.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { buildImage, busyboxImage, pushImage, pushIndex } from "../../support/images.ts";
import { busyboxLayer, layerBlob } from "../../support/layers.ts";
import { type TestRegistry, startRegistry } from "../../support/registry.ts";
import { tar } from "../../support/tar-writer.ts";
import { type Daemon, isRoot, startDaemon } from "../harness.ts";

let reg: TestRegistry;
let d: Daemon;
const base = busyboxImage();
const layered = buildImage([
  layerBlob(busyboxLayer()),
  layerBlob(
    tar([
      { name: "data/", type: "dir" },
      { name: "data/kept.txt", data: "kept\n" },
      { name: "data/big.bin", data: new Uint8Array(256 * 1024).fill(7) },
      { name: "data/twin.bin", type: "link", linkname: "data/big.bin" },
      { name: "etc/.wh.hostname", data: "" },
      { name: "var/.wh..wh..opq", data: "" },
    ]),
    "zstd",
  ),
  layerBlob(tar([{ name: "data/top.txt", data: "top\n" }]), "none"),
]);
const arm = busyboxImage({ architecture: "arm64", variant: "v8" });
/** Crafted layers a hostile registry could serve; each must be refused, writing nothing outside. */
const hostile = [
  { name: "dotdot", entries: [{ name: "../../../../escaped-dotdot", data: "x" }] },
  { name: "symlink-parent", entries: [{ name: "evil", type: "symlink" as const, linkname: "/tmp" }, { name: "evil/escaped-symlink", data: "x" }] },
  { name: "hardlink-out", entries: [{ name: "passwd", type: "link" as const, linkname: "../../../../etc/passwd" }] },
].map((h) => ({ ...h, image: buildImage([layerBlob(busyboxLayer()), layerBlob(tar(h.entries))], { salt: h.name }) }));
const amd = busyboxImage({ architecture: "amd64", salt: "multi" });
let indexDigest = "";

beforeAll(async () => {
  reg = await startRegistry();
  await pushImage(reg.host, "library/busybox", base, "1.36");
  await pushImage(reg.host, "team/layered", layered, "v1");
  indexDigest = await pushIndex(reg.host, "team/multi", [arm, amd], "latest");
  for (const h of hostile) await pushImage(reg.host, `hostile/${h.name}`, h.image, "1");
  d = await startDaemon({ extraConfig: `\n[registry.hosts."${reg.host}"]\nplain_http = true\n` });
}, 120_000);
afterAll(async () => {
  await d?.stop();
  await reg?.stop();
  if (d) fs.rmSync(d.dir, { recursive: true, force: true });
});

const pull = (image: string, auth?: object) => d.image.call<any>("PullImage", { image: { image }, auth }, 60_000);
const status = (image: string, verbose = false) => d.image.call<any>("ImageStatus", { image: { image }, verbose });
const errOf = (p: Promise<unknown>) => p.then(() => undefined, (e) => e);

describe.skipIf(!isRoot)("PullImage", () => {
  test("by tag: the image ref is the config digest and status names tag and digest", async () => {
    const ref = `${reg.host}/library/busybox:1.36`;
    const res = await pull(ref);
    expect(res.image_ref).toBe(base.configDigest);
    const st = await status(ref);
    expect(st.image.id).toBe(base.configDigest);
    expect(st.image.repo_tags).toEqual([ref]);
    expect(st.image.repo_digests).toEqual([`${reg.host}/library/busybox@${base.manifestDigest}`]);
    expect(Number(st.image.size)).toBe(base.manifest.length + base.config.length + (base.layers[0]?.size ?? 0));
  });

  test("the unpacked layer holds a runnable busybox", async () => {
    const st = await status(base.configDigest, true);
    const info = JSON.parse(st.info.info);
    const chainId: string = info.chainIds[0];
    const fsDir = path.join(d.root, "snapshots", chainId.slice("sha256:".length), "fs");
    const run = Bun.spawnSync(["chroot", fsDir, "/bin/busybox", "echo", "hello from the layer"]);
    expect(run.stdout.toString().trim()).toBe("hello from the layer");
    expect((fs.statSync(path.join(fsDir, "tmp")).mode & 0o7777).toString(8)).toBe("1777");
  });

  test("by digest: the same image, found by its repo digest", async () => {
    const ref = `${reg.host}/library/busybox@${base.manifestDigest}`;
    expect((await pull(ref)).image_ref).toBe(base.configDigest);
    expect((await status(ref)).image.id).toBe(base.configDigest);
  });

  test("a three-layer image with zstd, uncompressed, whiteout, opaque dir and hardlink", async () => {
    const res = await pull(`${reg.host}/team/layered:v1`);
    expect(res.image_ref).toBe(layered.configDigest);
    const info = JSON.parse((await status(layered.configDigest, true)).info.info);
    expect(info.chainIds).toHaveLength(3);
    const layerDir = (i: number) => path.join(d.root, "snapshots", info.chainIds[i].slice(7), "fs");
    const wh = fs.statSync(path.join(layerDir(1), "etc/hostname"));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    const getfattr = Bun.spawnSync(["getfattr", "--only-values", "-n", "trusted.overlay.opaque", path.join(layerDir(1), "var")]);
    expect(getfattr.stdout.toString()).toBe("y");
    expect(fs.statSync(path.join(layerDir(1), "data/twin.bin")).ino).toBe(fs.statSync(path.join(layerDir(1), "data/big.bin")).ino);
    expect(fs.readFileSync(path.join(layerDir(2), "data/top.txt"), "utf8")).toBe("top\n");
  });

  test("an index resolves to this node's platform", async () => {
    const res = await pull(`${reg.host}/team/multi:latest`);
    expect(res.image_ref).toBe(amd.configDigest);
    const st = await status(`${reg.host}/team/multi:latest`);
    expect(st.image.repo_digests).toEqual([`${reg.host}/team/multi@${indexDigest}`]);
  });

  const bad = [
    { desc: "an empty image is InvalidArgument naming image.image", image: "", code: GrpcStatus.INVALID_ARGUMENT, text: "image.image" },
    { desc: "a malformed reference is InvalidArgument", image: "UPPER/Case::bad", code: GrpcStatus.INVALID_ARGUMENT, text: "image" },
    { desc: "an unknown tag is NotFound", image: "REG/library/busybox:nope", code: GrpcStatus.NOT_FOUND, text: "nope" },
    { desc: "an unknown repository is NotFound", image: "REG/nobody/here:1", code: GrpcStatus.NOT_FOUND, text: "nobody/here" },
  ];
  for (const tc of bad) {
    test(tc.desc, async () => {
      const err = await errOf(pull(tc.image.replace("REG", reg.host)));
      expect(err?.code).toBe(tc.code);
      expect(err.details).toContain(tc.text);
    });
  }
});

describe.skipIf(!isRoot)("hostile images from the registry", () => {
  for (const h of hostile) {
    test(`a layer with ${h.name} is refused, nothing lands outside, nothing is left behind`, async () => {
      const err = await errOf(pull(`${reg.host}/hostile/${h.name}:1`));
      expect(err?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(err.details).toContain("layer entry");
      for (const f of ["/escaped-dotdot", "/tmp/escaped-symlink"]) expect(fs.existsSync(f)).toBe(false);
      expect(fs.readdirSync(path.join(d.root, "snapshots")).filter((n) => n.startsWith("tmp-"))).toEqual([]);
      expect((await status(h.image.configDigest)).image).toBeNull();
    });
  }
});

describe.skipIf(!isRoot)("ListImages, StreamImages, ImageFsInfo, RemoveImage", () => {
  test("ListImages lists every pulled image, and filters by name", async () => {
    const all = await d.image.call<any>("ListImages", {});
    const ids = all.images.map((i: any) => i.id);
    for (const id of [base.configDigest, layered.configDigest, amd.configDigest]) expect(ids).toContain(id);
    const one = await d.image.call<any>("ListImages", { filter: { image: { image: `${reg.host}/team/layered:v1` } } });
    expect(one.images.map((i: any) => i.id)).toEqual([layered.configDigest]);
  });

  test("StreamImages returns the same images as ListImages", async () => {
    const list = await d.image.call<any>("ListImages", {});
    const batches = await d.image.stream<any>("StreamImages", {});
    expect(batches.flatMap((b) => b.images.map((i: any) => i.id)).sort()).toEqual(list.images.map((i: any) => i.id).sort());
  });

  test("ImageFsInfo reports the image store's bytes and inodes", async () => {
    const res = await d.image.call<any>("ImageFsInfo", {});
    const fsu = res.image_filesystems[0];
    expect(fsu.fs_id.mountpoint).toBe(d.root);
    expect(Number(fsu.used_bytes.value)).toBeGreaterThan(1_000_000); // busybox is ~1-2 MB
    expect(Number(fsu.inodes_used.value)).toBeGreaterThan(10);
  });

  test("removing a shared-base image keeps what the other image needs", async () => {
    await d.image.call("RemoveImage", { image: { image: `${reg.host}/team/layered:v1` } });
    expect((await status(layered.configDigest)).image).toBeNull();
    const st = await status(base.configDigest, true);
    const chain = JSON.parse(st.info.info).chainIds[0].slice(7);
    expect(fs.existsSync(path.join(d.root, "snapshots", chain, "fs/bin/busybox"))).toBe(true);
  });

  test("RemoveImage of an unknown image succeeds (idempotent)", async () => {
    await d.image.call("RemoveImage", { image: { image: "sha256:" + "f".repeat(64) } });
    await d.image.call("RemoveImage", { image: { image: `${reg.host}/never/pulled:1` } });
  });

  test("after every image is removed, no blob or snapshot is left on disk", async () => {
    const list = await d.image.call<any>("ListImages", {});
    for (const img of list.images) await d.image.call("RemoveImage", { image: { image: img.id } });
    expect((await d.image.call<any>("ListImages", {})).images).toEqual([]);
    expect(fs.readdirSync(path.join(d.root, "content/blobs/sha256"))).toEqual([]);
    expect(fs.readdirSync(path.join(d.root, "content/ingest"))).toEqual([]);
    expect(fs.readdirSync(path.join(d.root, "snapshots"))).toEqual([]);
    const res = await d.image.call<any>("ImageFsInfo", {});
    expect(Number(res.image_filesystems[0].inodes_used.value)).toBe(0);
  });
});
