import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "../../../../src/streaming/spdy/dictionary.ts";
import { SpdySessionError } from "../../../../src/streaming/spdy/errors.ts";
import { packHeaderBlock } from "../../../../src/streaming/spdy/header-block.ts";
import { HeaderCompressor, HeaderDecompressor } from "../../../../src/streaming/spdy/header-zlib.ts";

/**
 * The independent side of each check: one node:zlib stream kept for the whole sequence
 * (as Go's compress/zlib keeps one per direction), sync-flushed per block.
 */
function persistent(kind: "deflate" | "inflate") {
  const z = kind === "deflate" ? zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 }) : zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  z.on("data", (d: Buffer) => out.push(d));
  return (bytes: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => {
      z.once("error", reject);
      z.write(bytes);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))));
    });
}

/** Blocks like a session's: small, repetitive, then some large enough to push the dictionary out of the 32 KiB window. */
const blocks = [
  packHeaderBlock({ streamtype: "error" }),
  packHeaderBlock({ streamtype: "stdin" }),
  packHeaderBlock({}),
  packHeaderBlock({ streamtype: "data", port: "8080", requestid: "0" }),
  packHeaderBlock({ "user-agent": "kubectl/v1.30.0", accept: "*/*", "content-length": "0" }),
  packHeaderBlock({ big: randomBytes(20_000).toString("base64") }),
  packHeaderBlock({ big: "x".repeat(40_000) }),
  packHeaderBlock({ streamtype: "data", port: "8080", requestid: "1" }),
];

describe("header compression", () => {
  test("the first block starts with the zlib header naming the SPDY/3 dictionary (78 f9, DICTID e3c6a7c2)", () => {
    const first = new HeaderCompressor().compress(blocks[0] as Uint8Array);
    expect(Buffer.from(first.subarray(0, 6)).toString("hex")).toBe("78f9e3c6a7c2");
    expect(Buffer.from(first.subarray(-4)).toString("hex")).toBe("0000ffff");
  });

  test("later blocks reuse earlier ones: a repeated header set costs a few bytes", () => {
    const c = new HeaderCompressor();
    c.compress(blocks[3] as Uint8Array);
    expect(c.compress(blocks[3] as Uint8Array).length).toBeLessThan(12);
  });

  test("what we compress, a persistent zlib inflate stream with the dictionary reads block by block", async () => {
    const c = new HeaderCompressor();
    const inflate = persistent("inflate");
    for (const b of blocks) expect((await inflate(c.compress(b))).equals(Buffer.from(b))).toBe(true);
  });

  test("what a persistent zlib deflate stream with the dictionary writes, we read block by block", async () => {
    const deflate = persistent("deflate");
    const d = new HeaderDecompressor(1 << 20);
    for (const b of blocks) expect(Buffer.from(d.decompress(await deflate(b))).equals(Buffer.from(b))).toBe(true);
  });

  test("two of our contexts stay in step over many blocks", () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor(1 << 20);
    for (let i = 0; i < 300; i++) {
      const b = blocks[i % blocks.length] as Uint8Array;
      expect(Buffer.from(d.decompress(c.compress(b))).equals(Buffer.from(b))).toBe(true);
    }
  });

  const withHeader = (body: Uint8Array, dictId = 0xe3c6a7c2) => {
    const h = Buffer.from([0x78, 0xf9, 0, 0, 0, 0]);
    h.writeUInt32BE(dictId, 2);
    return Buffer.concat([h, body]);
  };
  const sync = (data: Uint8Array) => zlib.deflateRawSync(data, { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const hostile: { desc: string; bytes: () => Uint8Array; message: RegExp }[] = [
    { desc: "a zlib bomb (1 KiB that inflates to 64 MiB)", bytes: () => withHeader(sync(new Uint8Array(64 << 20))), message: /inflates to more than 65536 bytes/ },
    { desc: "a block shorter than a zlib header", bytes: () => Buffer.from([0x78]), message: /too short/ },
    { desc: "a stream without a zlib header", bytes: () => Buffer.concat([Buffer.from("hello!"), Buffer.from("0000ffff", "hex")]), message: /zlib header/ },
    { desc: "a stream without a preset dictionary", bytes: () => zlib.deflateSync(Buffer.from("x"), { finishFlush: zlib.constants.Z_SYNC_FLUSH }), message: /does not use the SPDY\/3 dictionary/ },
    { desc: "another dictionary", bytes: () => withHeader(sync(new Uint8Array(8)), 0x12345678), message: /names dictionary 12345678/ },
    { desc: "a block not ending at a sync flush", bytes: () => withHeader(zlib.deflateRawSync(Buffer.from("abc"))), message: /sync flush/ },
    { desc: "deflate garbage", bytes: () => withHeader(Buffer.from("ffffffffffff0000ffff", "hex")), message: /does not inflate/ },
  ];
  for (const tc of hostile) {
    test(`${tc.desc} is a session error`, () => {
      const d = new HeaderDecompressor(65536);
      const run = () => d.decompress(tc.bytes());
      expect(run).toThrow(SpdySessionError);
      expect(() => new HeaderDecompressor(65536).decompress(tc.bytes())).toThrow(tc.message);
    });
  }
});
