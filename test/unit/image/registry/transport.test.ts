/** Retries, endpoint fallback and verification, against a fake fetch. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError, UnavailableError } from "../../../../src/errors.ts";
import { OCI_MANIFEST } from "../../../../src/image/media-types.ts";
import { createRegistryClient } from "../../../../src/image/registry/client.ts";
import { digestOf } from "../../../../src/image/registry/digest.ts";
import { DigestMismatchError } from "../../../../src/image/registry/registry-error.ts";
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from "../../../../src/image/registry/retry.ts";
import { breakingBody, fakeFetch } from "./fake-fetch.ts";

const repo = { registry: "r.example", repository: "app" };
const data = new Uint8Array(1000).map((_, i) => i % 256);
const desc = { mediaType: "application/octet-stream", digest: digestOf(data), size: data.byteLength };
const sleeps: number[] = [];
const sleep = async (ms: number) => void sleeps.push(ms);

describe("retries", () => {
  test("503 twice, then success, with Retry-After honoured", async () => {
    sleeps.length = 0;
    let n = 0;
    const f = fakeFetch(() => (++n <= 2 ? new Response("busy", { status: 503, headers: { "Retry-After": "2" } }) : new Response(data)));
    const client = createRegistryClient({ fetch: f.fetch, sleep });
    expect(await client.getBlobBytes(repo, desc)).toEqual(data);
    expect(sleeps).toEqual([2000, 2000]);
  });

  test("a 429 without Retry-After backs off exponentially", async () => {
    sleeps.length = 0;
    let n = 0;
    const f = fakeFetch(() => (++n <= 3 ? new Response(null, { status: 429 }) : new Response(data)));
    await createRegistryClient({ fetch: f.fetch, sleep, retry: { baseDelayMs: 100 } }).getBlobBytes(repo, desc);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[2]).toBeGreaterThanOrEqual(200);
  });

  test("retries are bounded and end in Unavailable", async () => {
    const f = fakeFetch(() => new Response(null, { status: 502 }));
    const err = await createRegistryClient({ fetch: f.fetch, sleep, retry: { attempts: 3 } }).getBlobBytes(repo, desc).catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(f.calls).toHaveLength(3);
  });

  test("a reset connection is retried, a refused one is not", async () => {
    let n = 0;
    const reset = fakeFetch(() => {
      if (++n === 1) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
      return new Response(data);
    });
    expect(await createRegistryClient({ fetch: reset.fetch, sleep }).getBlobBytes(repo, desc)).toEqual(data);
    const refused = fakeFetch(() => {
      throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    });
    const err = await createRegistryClient({ fetch: refused.fetch, sleep }).getBlobBytes(repo, desc).catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain("ECONNREFUSED");
    expect(refused.calls).toHaveLength(1);
  });

  test("Retry-After takes seconds or a date, and backoff stays under its cap", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(backoffDelay(DEFAULT_RETRY, 30, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
  });
});

describe("endpoint fallback", () => {
  test("a failing mirror falls back to the origin, and a 404 everywhere stays NotFound", async () => {
    const f = fakeFetch((c) => (c.url.host === "m.example" ? new Response(null, { status: 500 }) : new Response(data)));
    const config = { mirrors: { "r.example": { endpoints: ["https://m.example"] } } };
    expect(await createRegistryClient({ fetch: f.fetch, sleep, config }).getBlobBytes(repo, desc)).toEqual(data);

    const missing = fakeFetch(() => new Response('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}', { status: 404 }));
    const err = await createRegistryClient({ fetch: missing.fetch, sleep, config }).getBlobBytes(repo, desc).catch((e) => e);
    expect(err.message).toContain("every endpoint failed");
    expect(err.message).toContain("BLOB_UNKNOWN");
    expect(err.cause).toBeInstanceOf(NotFoundError);
  });

  test("a mirror serving wrong content falls back to the origin", async () => {
    const f = fakeFetch((c) => new Response(c.url.host === "m.example" ? "evil" : data));
    const config = { mirrors: { "r.example": { endpoints: ["https://m.example"] } } };
    expect(await createRegistryClient({ fetch: f.fetch, sleep, config }).getBlobBytes(repo, desc)).toEqual(data);
  });
});

describe("manifests", () => {
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc, layers: [] }));
  test("by tag, the digest is computed from the bytes, not taken from the header", async () => {
    const f = fakeFetch(() => new Response(bytes, { headers: { "Docker-Content-Digest": `sha256:${"0".repeat(64)}`, "Content-Type": OCI_MANIFEST } }));
    const got = await createRegistryClient({ fetch: f.fetch }).getManifest({ ...repo, tag: "v1" });
    expect(got.descriptor).toEqual({ mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: bytes.byteLength });
    expect(f.calls[0]!.headers.accept).toContain("application/vnd.oci.image.index.v1+json");
  });

  test("by digest, bytes that hash otherwise are refused", async () => {
    const f = fakeFetch(() => new Response(bytes));
    const err = await createRegistryClient({ fetch: f.fetch }).getManifest({ ...repo, digest: `sha256:${"1".repeat(64)}` }).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
  });

  test("a manifest bigger than its descriptor says is refused", async () => {
    const f = fakeFetch(() => new Response(bytes));
    const expected = { mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: 10 };
    const err = await createRegistryClient({ fetch: f.fetch }).getManifest(repo, { expected }).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
  });
});

describe("blob downloads", () => {
  const dir = mkdtempSync(join(tmpdir(), "skiff-blob-"));
  test("a broken download resumes with Range, and restarts when the registry ignores it", async () => {
    for (const honoursRange of [true, false]) {
      let n = 0;
      const f = fakeFetch((c) => {
        if (++n === 1) return new Response(breakingBody(data.subarray(0, 300)), { headers: { "Content-Length": "1000" } });
        const range = /^bytes=(\d+)-$/.exec(c.headers.range ?? "");
        if (range && honoursRange) {
          const start = Number(range[1]);
          return new Response(data.subarray(start), { status: 206, headers: { "Content-Range": `bytes ${start}-999/1000` } });
        }
        return new Response(data);
      });
      const path = join(dir, `blob-${honoursRange}`);
      await createRegistryClient({ fetch: f.fetch, sleep }).fetchBlob(repo, desc, path);
      expect(new Uint8Array(readFileSync(path))).toEqual(data);
      expect(f.calls[1]!.headers.range).toBe("bytes=300-");
    }
  });

  test("a body longer than the descriptor is cut off and the file removed", async () => {
    const f = fakeFetch(() => new Response(new Uint8Array(5000)));
    const path = join(dir, "too-long");
    const err = await createRegistryClient({ fetch: f.fetch, sleep }).fetchBlob(repo, desc, path).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toContain("more than the 1000 bytes");
    expect(existsSync(path)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
