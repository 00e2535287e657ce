/**
 * Pulls from a real registry (Debian's docker-registry on 127.0.0.1), filled with
 * images the test builds: by tag and by digest, platform selection from an index,
 * verification of sizes and digests, shared concurrent downloads.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError } from "../../../../src/errors.ts";
import { parseImageConfig } from "../../../../src/image/manifest.ts";
import { platformFor, selectManifest } from "../../../../src/image/platform-select.ts";
import { parseImageReference, repoDigest } from "../../../../src/image/reference.ts";
import { createRegistryClient } from "../../../../src/image/registry/client.ts";
import { createInFlight } from "../../../../src/image/registry/in-flight.ts";
import { DigestMismatchError } from "../../../../src/image/registry/registry-error.ts";
import { type TestRegistry, startRegistry } from "../../../support/registry.ts";
import { type PushedImage, pushImage, pushIndex } from "./fixtures.ts";
import { type TestProxy, startProxy } from "./proxy.ts";

describe.skipIf(process.getuid?.() !== 0)("registry pulls", () => {
  let reg: TestRegistry;
  let dir: string;
  let amd64: PushedImage;
  let arm64: PushedImage;
  let armv7: PushedImage;
  const repoOf = () => ({ registry: reg.host, repository: "skiff/test-app" });

  beforeAll(async () => {
    reg = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "skiff-pull-"));
    const client = createRegistryClient();
    amd64 = await pushImage(client, repoOf(), { tag: "single", layerSizes: [200_000, 3000] });
    arm64 = await pushImage(client, repoOf(), { platform: { os: "linux", architecture: "arm64" } });
    armv7 = await pushImage(client, repoOf(), { platform: { os: "linux", architecture: "arm", variant: "v7" } });
    await pushIndex(client, repoOf(), "multi", [
      { manifest: amd64.manifest, platform: { os: "linux", architecture: "amd64" } },
      { manifest: arm64.manifest, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
      { manifest: armv7.manifest, platform: { os: "linux", architecture: "arm", variant: "v7" } },
    ]);
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a manifest pulled by tag has the digest of its bytes", async () => {
    const ref = parseImageReference(`${reg.host}/skiff/test-app:single`);
    const got = await createRegistryClient().getManifest(ref);
    expect(got.parsed.kind).toBe("manifest");
    expect(got.descriptor).toEqual(amd64.manifest);
    expect(got.bytes).toEqual(amd64.manifestBytes);
    expect(repoDigest(ref, got.descriptor.digest)).toBe(`${reg.host}/skiff/test-app@${amd64.manifest.digest}`);
  });

  test("a manifest pulled by digest is verified against it", async () => {
    const ref = parseImageReference(`${reg.host}/skiff/test-app@${arm64.manifest.digest}`);
    const got = await createRegistryClient().getManifest(ref);
    expect(got.descriptor.digest).toBe(arm64.manifest.digest);
  });

  test("an index yields the manifest for each node platform, and its config says so", async () => {
    const client = createRegistryClient();
    const index = await client.getManifest({ ...repoOf(), tag: "multi" });
    if (index.parsed.kind !== "index") throw new Error("expected an index");
    const cases: Array<[string, string, PushedImage, string]> = [
      ["linux", "x64", amd64, "amd64"],
      ["linux", "arm64", arm64, "arm64"],
      ["linux", "arm", armv7, "arm"],
    ];
    for (const [os, arch, image, want] of cases) {
      const desc = selectManifest(index.parsed, platformFor(os, arch));
      expect(desc.digest).toBe(image.manifest.digest);
      const manifest = await client.getManifest(repoOf(), { expected: desc });
      if (manifest.parsed.kind !== "manifest") throw new Error("expected a manifest");
      const config = parseImageConfig(await client.getBlobBytes(repoOf(), manifest.parsed.config));
      expect(config.architecture).toBe(want);
    }
  });

  test("a layer streams to a file that matches what was pushed", async () => {
    const path = join(dir, "layer");
    let progress = 0;
    await createRegistryClient().fetchBlob(repoOf(), amd64.layers[0]!, path, { onProgress: (n) => (progress = n) });
    expect(new Uint8Array(readFileSync(path))).toEqual(amd64.layerBytes[0]!);
    expect(progress).toBe(amd64.layers[0]!.size);
  });

  const wrong: Array<{ desc: string; change: (d: PushedImage["layers"][0]) => PushedImage["layers"][0]; error: unknown }> = [
    { desc: "a descriptor with a smaller size than the blob fails and leaves no file", change: (d) => ({ ...d, size: d.size - 1 }), error: DigestMismatchError },
    { desc: "a descriptor with a larger size than the blob fails and leaves no file", change: (d) => ({ ...d, size: d.size + 1 }), error: DigestMismatchError },
    { desc: "a digest the registry does not have is NotFound and leaves no file", change: (d) => ({ ...d, digest: `sha256:${"0".repeat(64)}` }), error: NotFoundError },
  ];
  for (const tc of wrong) {
    test(tc.desc, async () => {
      const path = join(dir, "wrong");
      const err = await createRegistryClient().fetchBlob(repoOf(), tc.change(amd64.layers[1]!), path).catch((e) => e);
      expect(err).toBeInstanceOf(tc.error as typeof Error);
      expect(existsSync(path)).toBe(false);
    });
  }

  test("content altered on the way is a digest mismatch and leaves no file", async () => {
    const proxy = startProxy(reg.url, async (req, forward) => {
      const res = await forward(req);
      if (!new URL(req.url).pathname.includes("/blobs/")) return res;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[bytes.length >> 1]! ^= 0xff;
      return new Response(bytes, { status: res.status, headers: res.headers });
    });
    try {
      const client = createRegistryClient();
      const path = join(dir, "tampered");
      const viaProxy = { registry: proxy.host, repository: repoOf().repository };
      const err = await client.fetchBlob(viaProxy, amd64.layers[0]!, path).catch((e) => e);
      expect(err).toBeInstanceOf(DigestMismatchError);
      expect(err.message).toContain(amd64.layers[0]!.digest);
      expect(existsSync(path)).toBe(false);
    } finally {
      proxy.stop();
    }
  });

  test("two concurrent fetches of one layer share one download", async () => {
    let proxy: TestProxy | undefined;
    try {
      proxy = startProxy(reg.url);
      const viaProxy = { registry: proxy.host, repository: repoOf().repository };
      const downloads = createInFlight<void>();
      const path = join(dir, "shared");
      const a = createRegistryClient({ downloads });
      const b = createRegistryClient({ downloads });
      await Promise.all([a.fetchBlob(viaProxy, amd64.layers[0]!, path), b.fetchBlob(viaProxy, amd64.layers[0]!, path)]);
      expect(proxy.requests.filter((r) => r.method === "GET" && r.path.includes("/blobs/"))).toHaveLength(1);
      expect(new Uint8Array(readFileSync(path))).toEqual(amd64.layerBytes[0]!);
    } finally {
      proxy?.stop();
    }
  });

  test("pushing a blob that exists only checks for it", async () => {
    const proxy = startProxy(reg.url);
    try {
      const client = createRegistryClient();
      await client.pushBlob({ registry: proxy.host, repository: repoOf().repository }, amd64.layerBytes[1]!);
      expect(proxy.requests.map((r) => r.method)).toEqual(["HEAD"]);
    } finally {
      proxy.stop();
    }
  });

  test("an unknown tag is NotFound", async () => {
    const err = await createRegistryClient().getManifest({ ...repoOf(), tag: "nope" }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toContain("MANIFEST_UNKNOWN");
  });
});
