/**
 * HPACK: the decoder against every example of RFC 7541 Appendix C (fields and dynamic
 * table after each block), every malformed block we reject, the header list limit; the
 * stateless encoder by exact bytes and by random round trips through the decoder.
 */
import { describe, expect, test } from "bun:test";
import { HpackDecoder, HpackError, STATIC_TABLE, encodeHeaderBlock } from "../../../../src/server/h2/hpack.ts";
import { huffmanEncode } from "../../../../src/server/h2/huffman.ts";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16));
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const decoder = (maxTableSize = 4096, maxHeaderListSize = 1 << 20) => new HpackDecoder({ maxTableSize, maxHeaderListSize });

/** HPACK primitives written independently of the encoder under test (RFC 7541 §5). */
function int(value: number, prefixBits: number, flags: number): Uint8Array {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) return Uint8Array.of(flags | value);
  const out = [flags | mask];
  for (value -= mask; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) | 0x80);
  return Uint8Array.from([...out, value]);
}
function str(s: string, huffman = false): Uint8Array {
  const raw = huffman ? huffmanEncode(latin1(s)) : latin1(s);
  return concat(int(raw.length, 7, huffman ? 0x80 : 0), raw);
}

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Step = { block: string; fields: [string, string][]; table: [string, string][]; size: number };

// RFC 7541 Appendix C.3 to C.6 share their header lists; only the encodings differ.
const REQ1: [string, string][] = [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]];
const REQ2: [string, string][] = [...REQ1, ["cache-control", "no-cache"]];
const REQ3: [string, string][] = [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"]];
const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOCATION = "https://www.example.com";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RES1: [string, string][] = [[":status", "302"], ["cache-control", "private"], ["date", DATE1], ["location", LOCATION]];
const RES2: [string, string][] = [[":status", "307"], ["cache-control", "private"], ["date", DATE1], ["location", LOCATION]];
const RES3: [string, string][] = [[":status", "200"], ["cache-control", "private"], ["date", DATE2], ["location", LOCATION], ["content-encoding", "gzip"], ["set-cookie", COOKIE]];

const requests = (blocks: string[]): Step[] => [
  { block: blocks[0]!, fields: REQ1, table: [[":authority", "www.example.com"]], size: 57 },
  { block: blocks[1]!, fields: REQ2, table: [["cache-control", "no-cache"], [":authority", "www.example.com"]], size: 110 },
  { block: blocks[2]!, fields: REQ3, table: [["custom-key", "custom-value"], ["cache-control", "no-cache"], [":authority", "www.example.com"]], size: 164 },
];
const responses = (blocks: string[]): Step[] => [
  { block: blocks[0]!, fields: RES1, table: [["location", LOCATION], ["date", DATE1], ["cache-control", "private"], [":status", "302"]], size: 222 },
  { block: blocks[1]!, fields: RES2, table: [[":status", "307"], ["location", LOCATION], ["date", DATE1], ["cache-control", "private"]], size: 222 },
  { block: blocks[2]!, fields: RES3, table: [["set-cookie", COOKIE], ["content-encoding", "gzip"], ["date", DATE2]], size: 215 },
];

const APPENDIX_C: { section: string; tableSize: number; steps: Step[] }[] = [
  { section: "C.2.1 literal with indexing", tableSize: 4096, steps: [{ block: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", fields: [["custom-key", "custom-header"]], table: [["custom-key", "custom-header"]], size: 55 }] },
  { section: "C.2.2 literal without indexing", tableSize: 4096, steps: [{ block: "040c 2f73 616d 706c 652f 7061 7468", fields: [[":path", "/sample/path"]], table: [], size: 0 }] },
  { section: "C.2.3 literal never indexed", tableSize: 4096, steps: [{ block: "1008 7061 7373 776f 7264 0673 6563 7265 74", fields: [["password", "secret"]], table: [], size: 0 }] },
  { section: "C.2.4 indexed field", tableSize: 4096, steps: [{ block: "82", fields: [[":method", "GET"]], table: [], size: 0 }] },
  {
    section: "C.3 requests without Huffman",
    tableSize: 4096,
    steps: requests([
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ]),
  },
  {
    section: "C.4 requests with Huffman",
    tableSize: 4096,
    steps: requests(["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"]),
  },
  {
    section: "C.5 responses without Huffman, 256-octet table",
    tableSize: 256,
    steps: responses([
      "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "4803 3330 37c1 c0bf",
      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
    ]),
  },
  {
    section: "C.6 responses with Huffman, 256-octet table",
    tableSize: 256,
    steps: responses([
      "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
      "4883 640e ffc1 c0bf",
      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ]),
  },
];

describe("HpackDecoder on RFC 7541 Appendix C", () => {
  for (const tc of APPENDIX_C) {
    test(`${tc.section} decodes each block to the RFC's fields and dynamic table`, () => {
      const d = decoder(tc.tableSize);
      for (const step of tc.steps) {
        expect(d.decode(hex(step.block))).toEqual({ fields: step.fields, tooLarge: false });
        expect(d.dynamicTable).toEqual({ entries: step.table, size: step.size });
      }
    });
  }
});

describe("HpackDecoder on malformed blocks", () => {
  const cases: { desc: string; block: Uint8Array }[] = [
    { desc: "index 0 is rejected", block: hex("80") },
    { desc: "an index past the empty dynamic table is rejected", block: hex("be") },
    { desc: "an index past the dynamic table's last entry is rejected", block: concat(hex("400161 0162"), hex("bf")) },
    { desc: "a literal whose name index is past the tables is rejected", block: concat(int(70, 6, 0x40), str("v")) },
    { desc: "a size update after a field is rejected", block: hex("8220") },
    { desc: "a size update over our SETTINGS_HEADER_TABLE_SIZE is rejected", block: int(4097, 5, 0x20) },
    { desc: "an integer over 2^31 is rejected", block: int(2 ** 31 + 1, 7, 0x80) },
    { desc: "an integer of more than 5 continuation bytes is rejected", block: hex("ff 8080 8080 8000") },
    { desc: "an integer cut after its prefix is rejected", block: hex("ff") },
    { desc: "an integer cut inside its continuation bytes is rejected", block: hex("ff80") },
    { desc: "a string longer than the rest of the block is rejected", block: hex("4005 61") },
    { desc: "a block that ends between name and value is rejected", block: hex("4001 61") },
    { desc: "a block that ends after a literal's name index is rejected", block: hex("04") },
    { desc: "a Huffman value holding EOS is rejected", block: hex("0484 ffff ffff") },
    { desc: "a Huffman value with 8 bits of padding is rejected", block: hex("0481 ff") },
    { desc: "a Huffman value whose padding is not all ones is rejected", block: hex("0481 00") },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(() => decoder().decode(tc.block)).toThrow(HpackError);
    });
  }

  test("after one HpackError the decoder refuses every later block", () => {
    const d = decoder();
    expect(() => d.decode(hex("80"))).toThrow(HpackError);
    expect(() => d.decode(hex("82"))).toThrow(HpackError);
  });
});

describe("HpackDecoder table rules", () => {
  test("an integer of exactly 2^31 is still an integer (and then an index out of range)", () => {
    expect(() => decoder().decode(int(2 ** 31, 7, 0x80))).toThrow(/index 2147483648/);
  });

  test("size updates at the start of a block are allowed, several of them, and evict", () => {
    const d = decoder();
    d.decode(concat(hex("40"), str("a"), str("1"), hex("40"), str("b"), str("2")));
    expect(d.dynamicTable.size).toBe(68);
    // Down to 40 octets keeps only the newest entry; then back up to 4096 within our limit.
    expect(d.decode(concat(int(40, 5, 0x20), int(4096, 5, 0x20), hex("be")))).toEqual({ fields: [["b", "2"]], tooLarge: false });
    expect(d.dynamicTable).toEqual({ entries: [["b", "2"]], size: 34 });
    expect(d.decode(hex("20"))).toEqual({ fields: [], tooLarge: false });
    expect(d.dynamicTable).toEqual({ entries: [], size: 0 });
  });

  test("a never-indexed literal with an indexed name decodes and stays out of the table", () => {
    const d = decoder();
    expect(d.decode(concat(hex("14"), str("/x")))).toEqual({ fields: [[":path", "/x"]], tooLarge: false });
    expect(d.dynamicTable).toEqual({ entries: [], size: 0 });
  });

  test("an entry larger than the table empties it, without an error", () => {
    const d = decoder(256);
    d.decode(concat(hex("40"), str("a"), str("1")));
    expect(d.decode(concat(hex("40"), str("big"), str("x".repeat(300))))).toEqual({ fields: [["big", "x".repeat(300)]], tooLarge: false });
    expect(d.dynamicTable).toEqual({ entries: [], size: 0 });
  });

  test("every octet survives as one latin1 char, in names and values, raw and Huffman", () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const block = concat(hex("00"), str(all), str(all, true), hex("00"), str(all, true), str(all));
    expect(decoder().decode(block).fields).toEqual([[all, all], [all, all]]);
  });
});

describe("HpackDecoder header list limit", () => {
  test("a list over maxHeaderListSize is tooLarge, keeps the fields that fit, and the table stays in step", () => {
    const d = decoder(4096, 100);
    // Sizes: 32+1+1 = 34, then 32+5+40 = 77 (111 in all: over), then 34 more.
    const big = concat(hex("40"), str("a"), str("1"), hex("40"), str("large", true), str("v".repeat(40), true), hex("40"), str("c"), str("3"));
    expect(d.decode(big)).toEqual({ fields: [["a", "1"]], tooLarge: true });
    expect(d.dynamicTable.entries).toEqual([["c", "3"], ["large", "v".repeat(40)], ["a", "1"]]);
    // Later blocks refer to the entries the too-large block added.
    expect(d.decode(hex("be bf c0"))).toEqual({ fields: [["c", "3"]], tooLarge: true });
    expect(d.decode(hex("be c0"))).toEqual({ fields: [["c", "3"], ["a", "1"]], tooLarge: false });
    // The same table as a decoder with room for the whole list.
    const roomy = decoder(4096, 1000);
    expect(roomy.decode(big).tooLarge).toBe(false);
    expect(roomy.dynamicTable).toEqual(d.dynamicTable);
  });
});

describe("encodeHeaderBlock", () => {
  const cases: { desc: string; fields: [string, string][]; resetTable?: boolean; bytes: string }[] = [
    { desc: "an empty list is an empty block", fields: [], bytes: "" },
    { desc: "resetTable starts the block with a size update to 0", fields: [[":status", "200"]], resetTable: true, bytes: "20 88" },
    { desc: "an exact static match is an indexed field", fields: [[":method", "POST"], [":authority", ""], [":status", "404"]], bytes: "83 81 8d" },
    { desc: "a static name with another value is a literal with the name indexed in 4 bits", fields: [["content-type", "application/grpc"]], bytes: "0f10 10 6170706c69636174696f6e2f67727063" },
    { desc: "an unknown name is a literal name, without indexing", fields: [["grpc-status", "0"]], bytes: "00 0b 677270632d737461747573 01 30" },
    { desc: "a value of 200 octets has a multi-byte length", fields: [["x", "y".repeat(200)]], bytes: "00 01 78 7f49" + "79".repeat(200) },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(encodeHeaderBlock(tc.fields, { resetTable: tc.resetTable })).toEqual(hex(tc.bytes));
    });
  }

  test("a char over 0xff is a programming error, not an HpackError", () => {
    expect(() => encodeHeaderBlock([["grpc-message", "✓"]])).toThrow(TypeError);
  });

  test("random lists round-trip through the decoder and leave its table empty", () => {
    const r = rng(9113);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const octets = (max: number) => String.fromCharCode(...Array.from({ length: Math.floor(r() * max) }, () => Math.floor(r() * 256)));
    const d = decoder();
    for (let i = 0; i < 500; i++) {
      const fields: [string, string][] = Array.from({ length: Math.floor(r() * 12) }, () => {
        const [name, value] = pick(STATIC_TABLE);
        const choice = r();
        if (choice < 0.3) return [name, value]; // exact static entry
        if (choice < 0.6) return [name, octets(40)]; // static name
        return [octets(20), r() < 0.1 ? octets(3000) : octets(60)]; // neither
      });
      const block = encodeHeaderBlock(fields, { resetTable: i % 7 === 0 });
      expect(d.decode(block)).toEqual({ fields, tooLarge: false });
      expect(d.dynamicTable.size).toBe(0);
    }
  });
});

describe("decoding typical gRPC requests", () => {
  test("100k request blocks decode (a sanity run, no timing asserted)", () => {
    // As grpc-go sends them: the first block adds Huffman-coded literals to the dynamic
    // table, later blocks refer to those entries.
    const name = (s: string) => STATIC_TABLE.findIndex(([n]) => n === s) + 1;
    const first = concat(
      hex("83 86"), // :method POST, :scheme http
      int(name(":path"), 6, 0x40), str("/runtime.v1.RuntimeService/Version", true),
      int(name(":authority"), 6, 0x40), str("localhost", true),
      int(name("content-type"), 6, 0x40), str("application/grpc", true),
      hex("40"), str("te", true), str("trailers", true),
      int(name("user-agent"), 6, 0x40), str("grpc-go/1.60.1", true),
      hex("40"), str("grpc-timeout", true), str("1999867u", true),
    );
    const want: [string, string][] = [
      [":method", "POST"], [":scheme", "http"], [":path", "/runtime.v1.RuntimeService/Version"], [":authority", "localhost"],
      ["content-type", "application/grpc"], ["te", "trailers"], ["user-agent", "grpc-go/1.60.1"], ["grpc-timeout", "1999867u"],
    ];
    // A later call: the same fields from the table (62 is the newest, grpc-timeout, 67 is
    // :path), but a fresh timeout, not indexed, its name taken from entry 62.
    const later = concat(hex("83 86 c3 c2 c1 c0 bf"), int(62, 4, 0x00), str("1999012u", true));
    const wantLater = want.map(([n, v]): [string, string] => [n, n === "grpc-timeout" ? "1999012u" : v]);
    const d = decoder();
    expect(d.decode(first)).toEqual({ fields: want, tooLarge: false });
    for (let i = 0; i < 50_000; i++) {
      d.decode(later);
      new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 16384 }).decode(first);
    }
    expect(d.decode(later)).toEqual({ fields: wantLater, tooLarge: false });
  });
});
