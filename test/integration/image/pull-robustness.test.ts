/**
 * Pulls as a kubelet meets them on a real node: registries that want credentials over
 * TLS, the pinned sandbox image, concurrent pulls of one image, and a daemon killed in
 * the middle of a pull.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { buildImage, busyboxImage, pushImage } from "../../support/images.ts";
import { busyboxLayer, layerBlob } from "../../support/layers.ts";
import { type TestCA, type TestRegistry, makeTestCA, startRegistry } from "../../support/registry.ts";
import { tar } from "../../support/tar-writer.ts";
import { createRegistryClient } from "../../../src/image/registry/index.ts";
import { type Daemon, isRoot, startDaemon } from "../harness.ts";

const USER = "kubelet";
const PASSWORD = "s3cret-pass-word";

let plain: TestRegistry;
let secure: TestRegistry;
let ca: TestCA;
let proxy: ReturnType<typeof Bun.serve>;
const blobGets = new Map<string, number>();
let delayMs = 0;
const cleanup: Daemon[] = [];

const base = busyboxImage({ salt: "robust" });
const random = new Uint8Array(6 * 1024 * 1024);
for (let i = 0; i < random.length; i += 65536) crypto.getRandomValues(random.subarray(i, i + 65536));
const big = buildImage([layerBlob(busyboxLayer()), layerBlob(tar([{ name: "big.bin", data: random }]))], { salt: "big" });
const bigLayer = big.layers[1]?.digest as string;

/**
 * A proxy in front of the plain registry that counts blob GETs and, when `delayMs` is
 * set, trickles blob bodies (64 KiB per tick) so a pull can be caught in flight.
 */
function startProxy(upstream: string) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const m = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
      if (m?.[1] && req.method === "GET") blobGets.set(m[1], (blobGets.get(m[1]) ?? 0) + 1);
      const res = await fetch(upstream + url.pathname + url.search, { method: req.method, headers: req.headers, redirect: "follow" });
      if (!m || req.method !== "GET" || delayMs === 0 || !res.body) return res;
      const body = new Uint8Array(await res.arrayBuffer());
      const stream = new ReadableStream<Uint8Array>({
        async start(ctrl) {
          for (let i = 0; i < body.length; i += 65536) {
            ctrl.enqueue(body.subarray(i, i + 65536));
            await Bun.sleep(delayMs);
          }
          ctrl.close();
        },
      });
      return new Response(stream, { status: res.status, headers: res.headers });
    },
  });
}

beforeAll(async () => {
  plain = await startRegistry();
  await pushImage(plain.host, "library/robust", base, "1");
  await pushImage(plain.host, "library/big", big, "1");
  proxy = startProxy(plain.url);
  ca = makeTestCA();
  secure = await startRegistry({ tls: { certFile: ca.certFile, keyFile: ca.keyFile }, auth: { htpasswd: { user: USER, password: PASSWORD } } });
  const client = createRegistryClient({
    config: { hosts: { [secure.host]: { caFile: ca.caFile, plainHttp: false } } },
    auth: { username: USER, password: PASSWORD },
  });
  const repo = { registry: secure.host, repository: "private/app" };
  for (const l of base.layers) await client.pushBlob(repo, l.blob);
  await client.pushBlob(repo, base.config);
  await client.pushManifest({ ...repo, tag: "1" }, base.manifest, "application/vnd.oci.image.manifest.v1+json");
}, 120_000);
afterAll(async () => {
  for (const d of cleanup) {
    if (d.proc.exitCode === null) await d.stop();
    fs.rmSync(d.dir, { recursive: true, force: true });
  }
  proxy?.stop(true);
  await plain?.stop();
  await secure?.stop();
  ca?.cleanup();
});

async function daemon(extraConfig = "", reuseDir?: string): Promise<Daemon> {
  const d = await startDaemon({ extraConfig, reuseDir });
  cleanup.push(d);
  return d;
}

const pull = (d: Daemon, image: string, auth?: object) => d.image.call<any>("PullImage", { image: { image }, auth }, 60_000);
const errOf = (p: Promise<unknown>) => p.then(() => undefined, (e) => e);

describe.skipIf(!isRoot)("a TLS registry with basic auth", () => {
  const tlsConfig = () => `\n[registry.hosts."${secure.host}"]\nca_file = "${ca.caFile}"\n`;

  test("pulls with the request's username and password, trusting the configured CA", async () => {
    const d = await daemon(tlsConfig());
    const res = await pull(d, `${secure.host}/private/app:1`, { username: USER, password: PASSWORD });
    expect(res.image_ref).toBe(base.configDigest);
  });

  test("pulls with the base64 auth form", async () => {
    const d = await daemon(tlsConfig());
    const res = await pull(d, `${secure.host}/private/app:1`, { auth: btoa(`${USER}:${PASSWORD}`) });
    expect(res.image_ref).toBe(base.configDigest);
  });

  test("without credentials it is Unauthenticated, and a wrong password never shows in the error or the log", async () => {
    const d = await daemon(tlsConfig());
    const anon = await errOf(pull(d, `${secure.host}/private/app:1`));
    expect(anon?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    const wrong = await errOf(pull(d, `${secure.host}/private/app:1`, { username: USER, password: "wrong-horse-battery" }));
    expect(wrong?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(wrong.details).not.toContain("wrong-horse-battery");
    expect(d.output()).not.toContain("wrong-horse-battery");
    expect(d.output()).not.toContain(btoa(`${USER}:wrong-horse-battery`));
  });

  test("without the CA the TLS failure is reported, naming the fix", async () => {
    const d = await daemon(`\n[registry.hosts."${secure.host}"]\nplain_http = false\n`);
    const err = await errOf(pull(d, `${secure.host}/private/app:1`, { username: USER, password: PASSWORD }));
    expect(err?.details).toMatch(/TLS/);
  });
});

describe.skipIf(!isRoot)("the sandbox image", () => {
  test("is pinned when image.sandbox_image names it", async () => {
    const ref = `${plain.host}/library/robust:1`;
    const d = await daemon(`\n[image]\nsandbox_image = "${ref}"\n`);
    await pull(d, ref);
    const st = await d.image.call<any>("ImageStatus", { image: { image: ref } });
    expect(st.image.pinned).toBe(true);
  });
});

describe.skipIf(!isRoot)("concurrency and crashes", () => {
  test("two concurrent pulls of one image download its big layer once", async () => {
    const d = await daemon();
    blobGets.clear();
    delayMs = 5;
    try {
      const ref = `${proxy.hostname}:${proxy.port}/library/big:1`;
      const [a, b] = await Promise.all([pull(d, ref), pull(d, ref)]);
      expect(a.image_ref).toBe(big.configDigest);
      expect(b.image_ref).toBe(big.configDigest);
      expect(blobGets.get(bigLayer)).toBe(1);
    } finally {
      delayMs = 0;
    }
  });

  test("kill -9 in the middle of a pull leaves nothing a restart does not clean up", async () => {
    const d = await daemon();
    delayMs = 40;
    const ref = `${proxy.hostname}:${proxy.port}/library/big:1`;
    const ingest = path.join(d.root, "content/ingest");
    const pulling = pull(d, ref).catch(() => undefined);
    try {
      const until = Date.now() + 20_000;
      // What the loop saw, not a second read: the download may finish between the two.
      let seen = 0;
      while (Date.now() < until && (seen = fs.readdirSync(ingest).length) === 0) await Bun.sleep(20);
      expect(seen).toBeGreaterThan(0); // caught mid-download
      await d.kill();
    } finally {
      delayMs = 0;
    }
    await pulling;
    const again = await daemon("", d.dir);
    expect(fs.readdirSync(ingest)).toEqual([]);
    expect(fs.readdirSync(path.join(d.root, "snapshots")).filter((n) => n.startsWith("tmp-"))).toEqual([]);
    expect((await again.image.call<any>("ListImages", {})).images).toEqual([]);
    // Blobs fetched before the kill belong to no image: collected at start.
    expect(fs.readdirSync(path.join(d.root, "content/blobs/sha256"))).toEqual([]);
    expect(fs.readdirSync(path.join(d.root, "snapshots"))).toEqual([]);
    const res = await pull(again, ref);
    expect(res.image_ref).toBe(big.configDigest);
  });
});
