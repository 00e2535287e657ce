import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ContentStore, digestHex } from "../../../src/image/content-store.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-content-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const sha = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;

describe("ContentStore", () => {
  test("writeVerified, has, read, stream and delete a blob", async () => {
    const cs = new ContentStore(path.join(dir, "a"));
    const bytes = new TextEncoder().encode("manifest");
    const digest = sha(bytes);
    await cs.writeVerified(digest, bytes);
    expect(cs.has(digest)).toBe(true);
    expect(cs.has(digest, 999)).toBe(false);
    expect(new TextDecoder().decode(await cs.read(digest))).toBe("manifest");
    expect(await new Response(cs.stream(digest)).text()).toBe("manifest");
    expect(await cs.list()).toEqual([digest]);
    expect((fs.statSync(cs.blobPath(digest)).mode & 0o777).toString(8)).toBe("400");
    await cs.delete(digest);
    expect(cs.has(digest)).toBe(false);
  });

  test("reading a missing blob is NotFound naming the digest", async () => {
    const cs = new ContentStore(path.join(dir, "b"));
    const digest = `sha256:${"0".repeat(64)}`;
    await expect(cs.read(digest)).rejects.toThrow(digest);
  });

  test("a blob over the read limit is refused", async () => {
    const cs = new ContentStore(path.join(dir, "c"));
    const bytes = new Uint8Array(100);
    await cs.writeVerified(sha(bytes), bytes);
    await expect(cs.read(sha(bytes), 10)).rejects.toThrow(/larger than 10 bytes/);
  });

  test("cleanIngest removes leftovers except those asked to keep", async () => {
    const cs = new ContentStore(path.join(dir, "d"));
    fs.writeFileSync(path.join(cs.ingestDir, "a".repeat(64)), "partial");
    fs.writeFileSync(path.join(cs.ingestDir, "b".repeat(64)), "partial");
    expect(await cs.cleanIngest(new Set(["a".repeat(64)]))).toBe(1);
    expect(fs.readdirSync(cs.ingestDir)).toEqual(["a".repeat(64)]);
  });

  const bad = ["sha256:abc", "md5:" + "0".repeat(32), `sha256:${"0".repeat(63)}/`, `sha256:../${"0".repeat(61)}`, "sha256:" + "G".repeat(64)];
  for (const digest of bad) {
    test(`"${digest}" never becomes a path`, () => {
      expect(() => digestHex(digest)).toThrow(/not a sha256 digest/);
    });
  }
});

describe("ContentStore.commit", () => {
  test("a second commit of a blob already moved into place succeeds", async () => {
    const cs = new ContentStore(path.join(dir, "e"));
    const bytes = new TextEncoder().encode("shared download");
    const digest = sha(bytes);
    fs.writeFileSync(cs.ingestPath(digest), bytes);
    await cs.commit(digest);
    await cs.commit(digest); // the other pull of the shared download
    expect(cs.has(digest, bytes.length)).toBe(true);
  });

  test("committing a missing ingest file for an absent blob still fails", async () => {
    const cs = new ContentStore(path.join(dir, "f"));
    await expect(cs.commit(`sha256:${"1".repeat(64)}`)).rejects.toThrow(/ENOENT/);
  });
});
