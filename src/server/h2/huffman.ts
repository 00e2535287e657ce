/**
 * The HPACK Huffman code (RFC 7541 §5.2, table in Appendix B,
 * https://www.rfc-editor.org/rfc/rfc7541#appendix-B): a fixed code, tuned to HTTP header
 * text, that peers may use for any string literal in a header block. Clients such as
 * grpc-go Huffman-encode most values, so the server must decode it on every call.
 *
 * Decoding walks the code tree four bits at a time through a transition table built once,
 * on first use: every internal node of the tree is a state, and a nibble moves to the next
 * state and completes at most one symbol (no code is shorter than 5 bits). That is two
 * table lookups per input byte, with no per-bit loop.
 */
import { HpackError } from "./hpack-error.ts";

/**
 * Code of each symbol (index = byte value, 256 = EOS), right-aligned: the symbol's bits
 * are the low `HUFFMAN_LENGTHS[sym]` bits, most significant first. The code is canonical
 * (codes of one length are consecutive, in symbol order); the unit test checks that, and
 * that the code is complete.
 */
export const HUFFMAN_CODES: readonly number[] = [
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7, // 0x00–0x07
  0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec, // 0x08–0x0f
  0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3, // 0x10–0x17
  0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb, // 0x18–0x1f
  0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa, // 0x20–0x27
  0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18, // 0x28–0x2f
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, // 0x30–0x37
  0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc, // 0x38–0x3f
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, // 0x40–0x47
  0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, // 0x48–0x4f
  0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, // 0x50–0x57
  0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22, // 0x58–0x5f
  0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26, // 0x60–0x67
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7, // 0x68–0x6f
  0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78, // 0x70–0x77
  0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc, // 0x78–0x7f
  0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9, // 0x80–0x87
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf, // 0x88–0x8f
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3, // 0x90–0x97
  0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef, // 0x98–0x9f
  0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde, // 0xa0–0xa7
  0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec, // 0xa8–0xaf
  0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef, // 0xb0–0xb7
  0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1, // 0xb8–0xbf
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec, // 0xc0–0xc7
  0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed, // 0xc8–0xcf
  0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2, // 0xd0–0xd7
  0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5, // 0xd8–0xdf
  0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3, // 0xe0–0xe7
  0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4, // 0xe8–0xef
  0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea, // 0xf0–0xf7
  0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee, // 0xf8–0xff
  0x3fffffff, // EOS
];

/** Bit length of each symbol's code, 5 to 30. */
export const HUFFMAN_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0x00–0x0f
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 0x10–0x1f
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 0x20–0x2f
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 0x30–0x3f
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 0x40–0x4f
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 0x50–0x5f
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 0x60–0x6f
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 0x70–0x7f
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 0x80–0x8f
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 0x90–0x9f
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 0xa0–0xaf
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 0xb0–0xbf
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 0xc0–0xcf
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 0xd0–0xdf
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 0xe0–0xef
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 0xf0–0xff
  30, // EOS
];

const EOS = 256;
/**
 * The code tree has 256 internal nodes (a complete code over 257 symbols), numbered
 * 0 (the root) to 255; they are the decoder's states. DEAD is one more: the state after
 * EOS, which §5.2 makes an error. It never leaves, so the loop needs no check for it.
 */
const DEAD = 256;

/** Next state, indexed by `state * 16 + nibble`; built by `buildDecoder` on first use. */
let transitions: Uint16Array | undefined;
/** The symbol each transition completes, or -1. */
let emit: Int16Array;
/**
 * The states a string may end in. The bits after the last symbol are padding, which §5.2
 * allows only as the start of EOS (all ones) and shorter than 8 bits: so the root, or up
 * to 7 one-bits down from it.
 */
let accept: Uint8Array;

function buildDecoder(): Uint16Array {
  // kids[2 * node + bit] is the child node, or ~symbol for a leaf; 0 means "not yet made"
  // (the root is nobody's child).
  const kids = new Int16Array(2 * DEAD);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    let node = 0;
    for (let bit = HUFFMAN_LENGTHS[sym]! - 1; bit > 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (kids[slot] === 0) kids[slot] = nodes++;
      node = kids[slot]!;
    }
    kids[2 * node + (code & 1)] = ~sym;
  }
  const states = new Uint16Array((DEAD + 1) * 16).fill(DEAD);
  emit = new Int16Array((DEAD + 1) * 16).fill(-1);
  for (let state = 0; state < DEAD; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      for (let bit = 3; bit >= 0 && node !== DEAD; bit--) {
        const kid = kids[2 * node + ((nibble >>> bit) & 1)]!;
        if (kid === ~EOS) node = DEAD;
        else if (kid >= 0) node = kid;
        else {
          emit[state * 16 + nibble] = ~kid;
          node = 0;
        }
      }
      states[state * 16 + nibble] = node;
    }
  }
  accept = new Uint8Array(DEAD + 1);
  let ones = 0;
  for (let depth = 0; depth <= 7; depth++) {
    accept[ones] = 1;
    ones = kids[2 * ones + 1]!;
  }
  return (transitions = states);
}

/** Decodes a Huffman-coded string literal; throws `HpackError` on EOS or bad padding (§5.2). */
export function huffmanDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanMaxDecodedLength(bytes.length));
  return out.slice(0, huffmanDecodeInto(bytes, 0, bytes.length, out));
}

/** The most octets `n` coded octets can decode to: no code is shorter than 5 bits. */
export const huffmanMaxDecodedLength = (n: number): number => ((n * 8) / 5) | 0;

/**
 * Decodes `src[start..end)` into `dst` (room for `huffmanMaxDecodedLength(end - start)`)
 * and returns the decoded length. For the HPACK decoder, which decodes straight into a
 * reused buffer: allocating and viewing arrays cost more than decoding short strings.
 */
export function huffmanDecodeInto(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  const states = transitions ?? buildDecoder();
  const symbols = emit;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    const high = state * 16 + (byte >>> 4);
    if (symbols[high]! >= 0) dst[n++] = symbols[high]!;
    const low = states[high]! * 16 + (byte & 15);
    if (symbols[low]! >= 0) dst[n++] = symbols[low]!;
    state = states[low]!;
  }
  if (state === DEAD) throw new HpackError("huffman string contains EOS");
  if (!accept[state]) throw new HpackError("huffman string ends in padding that is not 0-7 one-bits");
  return n;
}

/** Huffman-codes `bytes`, padding the last byte with the leading one-bits of EOS. */
export function huffmanEncode(bytes: Uint8Array): Uint8Array {
  let bits = 0;
  for (const b of bytes) bits += HUFFMAN_LENGTHS[b]!;
  const out = new Uint8Array(Math.ceil(bits / 8));
  // Up to 7 pending bits plus a code of up to 30 do not fit 32-bit integer operators, so
  // the accumulator is plain arithmetic on doubles (exact below 2^53).
  let acc = 0;
  let pending = 0;
  let n = 0;
  for (const b of bytes) {
    acc = acc * 2 ** HUFFMAN_LENGTHS[b]! + HUFFMAN_CODES[b]!;
    pending += HUFFMAN_LENGTHS[b]!;
    for (; pending >= 8; n++) {
      pending -= 8;
      const unit = 2 ** pending;
      out[n] = Math.floor(acc / unit);
      acc %= unit;
    }
  }
  if (pending > 0) out[n] = (acc << (8 - pending)) | (0xff >>> pending);
  return out;
}
