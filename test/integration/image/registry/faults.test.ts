/**
 * A real registry behind a misbehaving proxy on 127.0.0.1: a connection cut mid-blob
 * (resumed with Range), a stalled one (progress timeout), 503s (retried), and a dead
 * mirror (fallback to the origin).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeadlineExceededError } from "../../../../src/errors.ts";
import { createRegistryClient } from "../../../../src/image/registry/client.ts";
import { freePort, type TestRegistry, startRegistry } from "../../../support/registry.ts";
import { type PushedImage, pushImage } from "./fixtures.ts";
import { cutAfter, stallAfter, startProxy } from "./proxy.ts";

describe.skipIf(process.getuid?.() !== 0)("registry faults", () => {
  let reg: TestRegistry;
  let dir: string;
  let image: PushedImage;
  const REPO = "skiff/faults";
  const fast = { retry: { baseDelayMs: 10 } };

  beforeAll(async () => {
    reg = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "skiff-faults-"));
    image = await pushImage(createRegistryClient(), { registry: reg.host, repository: REPO }, { tag: "v1", layerSizes: [512 * 1024] });
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const isBlobGet = (req: Request) => req.method === "GET" && new URL(req.url).pathname.includes("/blobs/");

  test("a connection cut mid-blob is resumed with a Range request and the blob verifies", async () => {
    let cut = false;
    const proxy = startProxy(reg.url, async (req, forward) => {
      const res = await forward(req);
      if (!isBlobGet(req) || cut) return res;
      cut = true;
      return cutAfter(res, 64 * 1024);
    });
    try {
      const path = join(dir, "resumed");
      await createRegistryClient(fast).fetchBlob({ registry: proxy.host, repository: REPO }, image.layers[0]!, path);
      const gets = proxy.requests.filter((r) => r.method === "GET");
      expect(gets).toHaveLength(2);
      expect(gets[0]!.range).toBeNull();
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? "")?.[1]);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThanOrEqual(64 * 1024);
      expect(new Uint8Array(readFileSync(path))).toEqual(image.layerBytes[0]!);
    } finally {
      proxy.stop();
    }
  });

  test("a stalled download ends with DeadlineExceeded within the progress timeout", async () => {
    const proxy = startProxy(reg.url, async (req, forward) => {
      const res = await forward(req);
      return isBlobGet(req) ? stallAfter(res, 1000) : res;
    });
    try {
      const path = join(dir, "stalled");
      const started = performance.now();
      const err = await createRegistryClient(fast)
        .fetchBlob({ registry: proxy.host, repository: REPO }, image.layers[0]!, path, { progressTimeoutMs: 500 })
        .catch((e) => e);
      const took = performance.now() - started;
      expect(err).toBeInstanceOf(DeadlineExceededError);
      expect(err.message).toContain(image.layers[0]!.digest);
      expect(err.message).toContain(proxy.host);
      expect(err.message).toContain("progress timeout");
      expect(took).toBeGreaterThanOrEqual(450);
      expect(took).toBeLessThan(3000);
      expect(existsSync(path)).toBe(false);
    } finally {
      proxy.stop();
    }
  });

  test("two 503s are retried and the third try succeeds", async () => {
    let failures = 0;
    const proxy = startProxy(reg.url, (req, forward) => {
      if (new URL(req.url).pathname.includes("/manifests/") && failures < 2) {
        failures++;
        return new Response("busy", { status: 503, headers: { "Retry-After": "0" } });
      }
      return forward(req);
    });
    try {
      const got = await createRegistryClient(fast).getManifest({ registry: proxy.host, repository: REPO, tag: "v1" });
      expect(got.descriptor).toEqual(image.manifest);
      expect(proxy.requests.filter((r) => r.path.includes("/manifests/"))).toHaveLength(3);
    } finally {
      proxy.stop();
    }
  });

  test("a dead mirror falls back to the registry itself", async () => {
    const dead = `http://127.0.0.1:${freePort()}`;
    const client = createRegistryClient({ ...fast, config: { mirrors: { [reg.host]: { endpoints: [dead] } } } });
    expect(client.endpoints(reg.host).map((e) => e.base)).toEqual([dead, reg.url]);
    const got = await client.getManifest({ registry: reg.host, repository: REPO, tag: "v1" });
    expect(got.descriptor).toEqual(image.manifest);
    const path = join(dir, "via-origin");
    await client.fetchBlob({ registry: reg.host, repository: REPO }, image.layers[0]!, path);
    expect(new Uint8Array(readFileSync(path))).toEqual(image.layerBytes[0]!);
  });

  test("a working mirror is used before the registry", async () => {
    const mirror = startProxy(reg.url);
    try {
      const client = createRegistryClient({ config: { mirrors: { [reg.host]: { endpoints: [mirror.url] } } } });
      await client.getManifest({ registry: reg.host, repository: REPO, tag: "v1" });
      expect(mirror.requests.some((r) => r.path === `/v2/${REPO}/manifests/v1`)).toBe(true);
    } finally {
      mirror.stop();
    }
  });
});
