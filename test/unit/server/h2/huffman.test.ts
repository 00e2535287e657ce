/**
 * The HPACK Huffman code: the table is a complete canonical prefix code, the strings of
 * RFC 7541 Appendix C code both ways to the RFC's bytes, anything round-trips, and the
 * §5.2 rules on EOS and padding hold.
 */
import { describe, expect, test } from "bun:test";
import { HpackError } from "../../../../src/server/h2/hpack.ts";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS, huffmanDecode, huffmanEncode } from "../../../../src/server/h2/huffman.ts";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16));
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("the Huffman table", () => {
  test("has 257 symbols with codes of 5 to 30 bits that fit their length", () => {
    expect(HUFFMAN_CODES.length).toBe(257);
    expect(HUFFMAN_LENGTHS.length).toBe(257);
    for (let sym = 0; sym < 257; sym++) {
      expect(HUFFMAN_LENGTHS[sym]!).toBeGreaterThanOrEqual(5);
      expect(HUFFMAN_LENGTHS[sym]!).toBeLessThanOrEqual(30);
      expect(HUFFMAN_CODES[sym]!).toBeLessThan(2 ** HUFFMAN_LENGTHS[sym]!);
    }
  });

  test("is complete: the Kraft sum, EOS included, is exactly 1", () => {
    // In units of 2^-30, so the sum is exact integer arithmetic.
    const sum = HUFFMAN_LENGTHS.reduce((acc, len) => acc + 2 ** (30 - len), 0);
    expect(sum).toBe(2 ** 30);
  });

  test("is canonical, hence prefix-free: sorted by (length, symbol), each code is the previous plus one, shifted", () => {
    const order = [...HUFFMAN_LENGTHS.keys()].sort((a, b) => HUFFMAN_LENGTHS[a]! - HUFFMAN_LENGTHS[b]! || a - b);
    let code = -1;
    let len = HUFFMAN_LENGTHS[order[0]!]!;
    for (const sym of order) {
      code = (code + 1) * 2 ** (HUFFMAN_LENGTHS[sym]! - len);
      len = HUFFMAN_LENGTHS[sym]!;
      expect({ sym, code: HUFFMAN_CODES[sym] }).toEqual({ sym, code });
    }
  });

  test("gives EOS the all-ones code of 30 bits", () => {
    expect([HUFFMAN_CODES[256], HUFFMAN_LENGTHS[256]]).toEqual([2 ** 30 - 1, 30]);
  });
});

describe("the strings of RFC 7541 Appendix C.4 and C.6", () => {
  const cases = [
    ["www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"],
    ["no-cache", "a8eb 1064 9cbf"],
    ["custom-key", "25a8 49e9 5ba9 7d7f"],
    ["custom-value", "25a8 49e9 5bb8 e8b4 bf"],
    ["302", "6402"],
    ["307", "640e ff"],
    ["private", "aec3 771a 4b"],
    ["Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"],
    ["https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"],
    ["gzip", "9bd9 ab"],
    [
      "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
      "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ],
  ] as const;
  for (const [plain, coded] of cases) {
    test(`"${plain}" decodes from the RFC's bytes and encodes back to them`, () => {
      expect(text(huffmanDecode(hex(coded)))).toBe(plain);
      expect(huffmanEncode(bytes(plain))).toEqual(hex(coded));
    });
  }
});

describe("round trips", () => {
  test("the empty string codes to nothing", () => {
    expect(huffmanEncode(new Uint8Array(0))).toEqual(new Uint8Array(0));
    expect(huffmanDecode(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  test("every byte value, alone and all together, survives encode then decode", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(huffmanDecode(huffmanEncode(all))).toEqual(all);
    for (let b = 0; b < 256; b++) expect(huffmanDecode(huffmanEncode(Uint8Array.of(b)))).toEqual(Uint8Array.of(b));
  });

  test("random strings survive encode then decode", () => {
    const r = rng(7541);
    for (let i = 0; i < 2000; i++) {
      // Half of them from header-ish text, where the short codes live.
      const alphabet = r() < 0.5 ? 256 : 0;
      const s = Uint8Array.from({ length: Math.floor(r() * 100) }, () =>
        alphabet ? Math.floor(r() * 256) : "abcdefghijklmnopqrstuvwxyz0123456789-/.:"[Math.floor(r() * 40)]!.charCodeAt(0),
      );
      expect(huffmanDecode(huffmanEncode(s))).toEqual(s);
    }
  });
});

describe("malformed strings (RFC 7541 §5.2)", () => {
  const cases: { desc: string; input: Uint8Array; error: RegExp }[] = [
    { desc: "a string holding the EOS symbol is rejected", input: hex("ffff ffff"), error: /EOS/ },
    { desc: "EOS followed by more symbols is rejected", input: hex("ffff fffc 1f"), error: /EOS/ },
    { desc: "a whole byte of one-bits as padding is rejected", input: hex("ff"), error: /padding/ },
    { desc: "'a' followed by 11 bits of padding is rejected", input: hex("1fff"), error: /padding/ },
    { desc: "'a' followed by 27 bits of padding is rejected", input: hex("1fff ffff"), error: /padding/ },
    { desc: "padding of zero bits is rejected", input: hex("00"), error: /padding/ },
    { desc: "padding that is ones then a zero is rejected", input: hex("1e"), error: /padding/ },
    { desc: "a string cut inside a long code is rejected", input: hex("fffe"), error: /padding/ },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(() => huffmanDecode(tc.input)).toThrow(HpackError);
      expect(() => huffmanDecode(tc.input)).toThrow(tc.error);
    });
  }

  test("padding of up to 7 one-bits is accepted", () => {
    // '0' is 00000: three bits of padding. 'a' then '0' is 00011|00000 + 111111.
    expect(text(huffmanDecode(hex("07")))).toBe("0");
    expect(text(huffmanDecode(hex("183f")))).toBe("a0");
  });
});
