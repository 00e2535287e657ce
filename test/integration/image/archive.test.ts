/**
 * Air-gapped image loading through skiff.v1.Images: OCI layout and `docker save`
 * archives in, an OCI archive out, and the import directory read at start.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { type BuiltImage, buildImage, busyboxImage } from "../../support/images.ts";
import { busyboxLayer, layerBlob } from "../../support/layers.ts";
import { type TarEntrySpec, gzip, tar } from "../../support/tar-writer.ts";
import { readTar } from "../../../src/image/unpack/index.ts";
import { type Daemon, isRoot, startDaemon } from "../harness.ts";

const hex = (d: string) => d.slice("sha256:".length);
const json = (v: unknown) => JSON.stringify(v);

/** An OCI image layout archive of `img`, named `name` in index.json. */
function ociArchive(img: BuiltImage, name?: string, tamper?: (entries: TarEntrySpec[]) => void): Uint8Array {
  const entries: TarEntrySpec[] = [
    { name: "oci-layout", data: json({ imageLayoutVersion: "1.0.0" }) },
    {
      name: "index.json",
      data: json({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: img.manifestDigest,
            size: img.manifest.length,
            ...(name ? { annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.split(":").at(-1) } } : {}),
          },
        ],
      }),
    },
    { name: "blobs/", type: "dir" },
    { name: "blobs/sha256/", type: "dir" },
    { name: `blobs/sha256/${hex(img.manifestDigest)}`, data: img.manifest },
    { name: `blobs/sha256/${hex(img.configDigest)}`, data: img.config },
    ...img.layers.map((l): TarEntrySpec => ({ name: `blobs/sha256/${hex(l.digest)}`, data: l.blob })),
  ];
  tamper?.(entries);
  return tar(entries);
}

/** A classic `docker save` archive: uncompressed layer.tar files, a symlink for a shared layer. */
function dockerSaveArchive(): { bytes: Uint8Array; a: BuiltImage; b: BuiltImage } {
  const base = layerBlob(busyboxLayer(), "none");
  const extra = layerBlob(tar([{ name: "hello.txt", data: "hi\n" }]), "none");
  const a = buildImage([base], { salt: "docker-a" });
  const b = buildImage([base, extra], { salt: "docker-b" });
  const bytes = tar([
    { name: "aaa/", type: "dir" },
    { name: "aaa/layer.tar", data: base.blob },
    { name: "bbb/", type: "dir" },
    { name: "bbb/layer.tar", type: "symlink", linkname: "../aaa/layer.tar" },
    { name: "ccc/", type: "dir" },
    { name: "ccc/layer.tar", data: extra.blob },
    { name: `${hex(a.configDigest)}.json`, data: a.config },
    { name: `${hex(b.configDigest)}.json`, data: b.config },
    {
      name: "manifest.json",
      data: json([
        { Config: `${hex(a.configDigest)}.json`, RepoTags: ["saved/a:1"], Layers: ["aaa/layer.tar"] },
        { Config: `${hex(b.configDigest)}.json`, RepoTags: ["example.com/saved/b:2"], Layers: ["bbb/layer.tar", "ccc/layer.tar"] },
      ]),
    },
  ]);
  return { bytes: gzip(bytes), a, b };
}

/** Splits bytes into import messages. */
function* chunks(bytes: Uint8Array, size = 64 * 1024) {
  for (let i = 0; i < bytes.length; i += size) yield { chunk: bytes.subarray(i, i + size) };
}

let d: Daemon;
const oci = busyboxImage({ salt: "oci" });
const preloaded = busyboxImage({ salt: "preloaded" });

beforeAll(async () => {
  d = await startDaemon();
  // For the import-dir test: an archive dropped in before a restart.
  await d.stop();
  const importDir = path.join(d.root, "import");
  fs.mkdirSync(importDir, { recursive: true });
  fs.writeFileSync(path.join(importDir, "preloaded.tar"), ociArchive(preloaded, "edge.local/preloaded:1"));
  fs.writeFileSync(path.join(importDir, "junk.tar"), "this is not an archive");
  d = await startDaemon({ reuseDir: d.dir });
}, 60_000);
afterAll(async () => {
  await d?.stop();
  if (d) fs.rmSync(d.dir, { recursive: true, force: true });
});

const status = (image: string) => d.image.call<any>("ImageStatus", { image: { image } });

describe.skipIf(!isRoot)("import", () => {
  test("an archive in the import dir is loaded at start, and a bad one is skipped with a warning", async () => {
    expect((await status("edge.local/preloaded:1")).image.id).toBe(preloaded.configDigest);
    expect(d.output()).toMatch(/import of .*junk\.tar failed/);
  });

  test("an OCI layout archive is imported with its name", async () => {
    const res = await d.skiff.send<any>("Import", chunks(ociArchive(oci, "registry.local/team/oci:v1")));
    expect(res.images.map((i: any) => i.id)).toEqual([oci.configDigest]);
    expect(res.images[0].repo_tags).toEqual(["registry.local/team/oci:v1"]);
    expect((await status("registry.local/team/oci:v1")).image.id).toBe(oci.configDigest);
  });

  test("a gzipped docker save archive with a shared (symlinked) layer is imported with its tags", async () => {
    const { bytes, a, b } = dockerSaveArchive();
    const res = await d.skiff.send<any>("Import", chunks(bytes));
    expect(res.images.map((i: any) => i.id).sort()).toEqual([a.configDigest, b.configDigest].sort());
    expect((await status("docker.io/saved/a:1")).image.id).toBe(a.configDigest);
    expect((await status("example.com/saved/b:2")).image.id).toBe(b.configDigest);
  });

  const bad = [
    {
      desc: "an entry that climbs out of the archive is InvalidArgument",
      bytes: () => tar([{ name: "../escape", data: "x" }]),
      code: GrpcStatus.INVALID_ARGUMENT,
      text: "leaves the archive",
    },
    {
      desc: "a tampered layer (content not matching its name) is refused as missing",
      bytes: () =>
        ociArchive(buildImage([layerBlob(tar([{ name: "unique.txt", data: "only in this image\n" }]))]), "x/tampered:1", (entries) => {
          const layer = entries.at(-1) as TarEntrySpec;
          layer.data = new TextEncoder().encode("not the layer");
        }),
      code: GrpcStatus.NOT_FOUND,
      text: "not in the archive",
    },
    {
      desc: "a tar without index.json or manifest.json is InvalidArgument",
      bytes: () => tar([{ name: "hello", data: "x" }]),
      code: GrpcStatus.INVALID_ARGUMENT,
      text: "index.json",
    },
  ];
  for (const tc of bad) {
    test(tc.desc, async () => {
      const err = await d.skiff.send("Import", chunks(tc.bytes())).then(() => undefined, (e) => e);
      expect(err?.code).toBe(tc.code);
      expect(err.details).toContain(tc.text);
      expect(fs.existsSync(path.join(d.dir, "escape"))).toBe(false);
      expect((await status("x/tampered:1")).image).toBeNull();
    });
  }
});

describe.skipIf(!isRoot)("export", () => {
  test("an exported archive has an OCI layout, names, blobs and a docker manifest.json", async () => {
    const parts = await d.skiff.stream<any>("Export", { images: ["registry.local/team/oci:v1"] });
    const bytes = Buffer.concat(parts.map((p) => p.chunk));
    const names = new Map<string, string>();
    for await (const e of readTar(new Blob([bytes]).stream())) {
      const chunks: Uint8Array[] = [];
      for await (const c of e.body) chunks.push(c);
      names.set(e.name, Buffer.concat(chunks).toString("utf8"));
    }
    expect(JSON.parse(names.get("oci-layout") ?? "{}").imageLayoutVersion).toBe("1.0.0");
    const index = JSON.parse(names.get("index.json") ?? "{}");
    expect(index.manifests[0].digest).toBe(oci.manifestDigest);
    expect(index.manifests[0].annotations["io.containerd.image.name"]).toBe("registry.local/team/oci:v1");
    expect(JSON.parse(names.get("manifest.json") ?? "[]")[0].RepoTags).toEqual(["registry.local/team/oci:v1"]);
    for (const digest of [oci.manifestDigest, oci.configDigest, ...oci.layers.map((l) => l.digest)]) {
      expect(names.has(`blobs/sha256/${hex(digest)}`)).toBe(true);
    }
  });

  test("export, remove, import round-trips to the same image", async () => {
    const { a } = dockerSaveArchive();
    const parts = await d.skiff.stream<any>("Export", { images: ["docker.io/saved/a:1"] });
    const bytes = Buffer.concat(parts.map((p) => p.chunk));
    await d.image.call("RemoveImage", { image: { image: a.configDigest } });
    expect((await status(a.configDigest)).image).toBeNull();
    const res = await d.skiff.send<any>("Import", chunks(bytes));
    expect(res.images[0].id).toBe(a.configDigest);
    expect(res.images[0].repo_tags).toEqual(["docker.io/saved/a:1"]);
  });

  test("exporting an unknown image is NotFound naming it", async () => {
    const err = await d.skiff.stream("Export", { images: ["nope/never:1"] }).then(() => undefined, (e) => e);
    expect(err?.code).toBe(GrpcStatus.NOT_FOUND);
    expect(err.details).toContain("nope/never:1");
  });
});
