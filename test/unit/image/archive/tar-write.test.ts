import { describe, expect, test } from "bun:test";
import { bytesFile, fileHeader, writeTar } from "../../../../src/image/archive/tar-write.ts";
import { cleanArchivePath } from "../../../../src/image/archive/stage.ts";
import { InvalidArgumentError } from "../../../../src/errors.ts";
import { readTar } from "../../../../src/image/unpack/index.ts";
import { parseHeader } from "../../../../src/image/unpack/tar-header.ts";

async function collect(gen: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of gen) parts.push(p);
  return Buffer.concat(parts);
}

describe("writeTar", () => {
  test("what it writes, skiff's tar reader reads back, padded to 512-byte blocks", async () => {
    const bytes = await collect(writeTar([bytesFile("a.txt", new TextEncoder().encode("hello")), bytesFile("blobs/sha256/x", new Uint8Array(600).fill(1))]));
    expect(bytes.length % 512).toBe(0);
    const seen: [string, number, string][] = [];
    for await (const e of readTar(new Blob([bytes]).stream())) {
      const body = await collect(e.body);
      seen.push([e.name, e.size, e.name === "a.txt" ? new TextDecoder().decode(body) : String(body.length)]);
    }
    expect(seen).toEqual([["a.txt", 5, "hello"], ["blobs/sha256/x", 600, "600"]]);
  });

  test("GNU tar accepts the archive", async () => {
    const bytes = await collect(writeTar([bytesFile("oci-layout", new TextEncoder().encode("{}"))]));
    const r = Bun.spawnSync(["tar", "-tvf", "-"], { stdin: bytes });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("oci-layout");
  });

  test("a body shorter than declared fails", async () => {
    const file = { name: "f", size: 10, body: async function* () {
      yield new Uint8Array(3);
    } };
    await expect(collect(writeTar([file]))).rejects.toThrow(/gave 3 bytes, declared 10/);
  });

  test("a size of 8 GiB or more is written in GNU base-256, which the reader and GNU tar take", () => {
    for (const size of [8 ** 11 - 1, 8 ** 11, 20 * 2 ** 30]) {
      const h = fileHeader("images.tar", size);
      expect(parseHeader(h).size).toBe(size);
      expect(h[124]! & 0x80).toBe(size < 8 ** 11 ? 0 : 0x80);
      const r = Bun.spawnSync(["tar", "-tvf", "-"], { stdin: Buffer.concat([h, new Uint8Array(1024)]) });
      expect(r.stdout.toString()).toContain(` ${size} `);
    }
  });

  for (const name of ["", "a".repeat(101), "naïve", "with space"]) {
    test(`the name "${name.slice(0, 12)}" is refused`, () => {
      expect(() => fileHeader(name, 0)).toThrow(/short printable ASCII/);
    });
  }
});

describe("cleanArchivePath", () => {
  const ok = [
    ["./index.json", "index.json"],
    ["/blobs//sha256/./abc", "blobs/sha256/abc"],
    ["abc/layer.tar", "abc/layer.tar"],
  ];
  for (const [raw, want] of ok) test(`"${raw}" becomes "${want}"`, () => expect(cleanArchivePath(raw as string)).toBe(want as string));
  for (const raw of ["../x", "a/../../x", "a/.."]) {
    test(`"${raw}" is refused`, () => expect(() => cleanArchivePath(raw)).toThrow(InvalidArgumentError));
  }
});
