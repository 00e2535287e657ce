/**
 * Header block compression (draft 3.1, section 2.6.10.1): each direction of a session is
 * one zlib stream that starts from the SPDY/3 dictionary and is sync-flushed at the end
 * of every header block, so a block can be decoded as soon as its frame arrives.
 *
 * Bun 1.4.4's node:zlib keeps a zlib stream across calls only through its asynchronous
 * stream API (`createDeflate` + `flush(Z_SYNC_FLUSH, cb)`); its synchronous path
 * (`_processChunk` without a callback) closes the stream after one call. Frame decoding
 * here must be synchronous (and bounded), so this uses a property of DEFLATE instead:
 * after a sync flush, the only state that carries over to the next block is the last
 * 32 KiB of uncompressed data (the sliding window). So each block is compressed with
 * `deflateRawSync` and decompressed with `inflateRawSync`, passing the window so far as
 * the preset dictionary (the window starts as the SPDY dictionary itself), with
 * `finishFlush: Z_SYNC_FLUSH` so that no final block is written or expected. The bytes
 * are exactly those of one long zlib stream; the first block carries the 2-byte zlib
 * header with FDICT and the dictionary's Adler-32. `maxOutputLength` bounds what one
 * block may inflate to, so a zlib bomb costs nothing.
 */
import * as zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary.ts";
import { SpdySessionError } from "./errors.ts";

/** DEFLATE's window: back-references reach at most this far. */
const WINDOW_BYTES = 32 * 1024;
/** zlib header: CMF 0x78 (deflate, 32 KiB window), FLG 0xf9 (level 9, FDICT, check bits). */
const ZLIB_HEADER = [0x78, 0xf9] as const;

/** Adler-32 (RFC 1950, section 9), for the DICTID. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const DICTIONARY_ID = adler32(SPDY3_DICTIONARY);

/** The last WINDOW_BYTES of `window` followed by `more`. */
function slide(window: Uint8Array, more: Uint8Array): Uint8Array {
  if (more.length >= WINDOW_BYTES) return more.slice(more.length - WINDOW_BYTES);
  const keep = Math.min(window.length, WINDOW_BYTES - more.length);
  const out = new Uint8Array(keep + more.length);
  out.set(window.subarray(window.length - keep), 0);
  out.set(more, keep);
  return out;
}

/** One direction's compressor: call `compress` once per header block, in frame order. */
export class HeaderCompressor {
  private window: Uint8Array = SPDY3_DICTIONARY;
  private started = false;

  compress(block: Uint8Array): Uint8Array {
    const body = zlib.deflateRawSync(block, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH, level: 9 });
    this.window = slide(this.window, block);
    if (this.started) return body;
    this.started = true;
    const out = new Uint8Array(6 + body.length);
    out.set(ZLIB_HEADER, 0);
    new DataView(out.buffer).setUint32(2, DICTIONARY_ID);
    out.set(body, 6);
    return out;
  }
}

/** One direction's decompressor: call `decompress` for every header block received, in order. */
export class HeaderDecompressor {
  private window: Uint8Array = SPDY3_DICTIONARY;
  private started = false;

  /** @param maxBytes the most one block may inflate to */
  constructor(private readonly maxBytes: number) {}

  /** Throws SpdySessionError: a block that cannot be inflated leaves the two sides out of step for good. */
  decompress(compressed: Uint8Array): Uint8Array {
    let body = compressed;
    if (!this.started) {
      if (compressed.length < 6) throw new SpdySessionError(`first header block is ${compressed.length} bytes, too short for a zlib header`);
      const cmf = compressed[0] as number;
      const flg = compressed[1] as number;
      if ((cmf & 0x0f) !== 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 !== 0) throw new SpdySessionError("first header block does not start with a zlib header");
      if ((flg & 0x20) === 0) throw new SpdySessionError("header compression does not use the SPDY/3 dictionary");
      const dictId = new DataView(compressed.buffer, compressed.byteOffset + 2, 4).getUint32(0);
      if (dictId !== DICTIONARY_ID) throw new SpdySessionError(`header compression names dictionary ${dictId.toString(16)}, not SPDY/3's ${DICTIONARY_ID.toString(16)}`);
      this.started = true;
      body = compressed.subarray(6);
    }
    // A block ends with a sync flush, whose last bytes are an empty stored block; a block
    // cut elsewhere would leave the next one to start mid-bitstream.
    const n = body.length;
    if (n < 4 || body[n - 4] !== 0 || body[n - 3] !== 0 || body[n - 2] !== 0xff || body[n - 1] !== 0xff) {
      throw new SpdySessionError("header block does not end with a zlib sync flush");
    }
    let block: Uint8Array;
    try {
      block = zlib.inflateRawSync(body, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: this.maxBytes });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) throw new SpdySessionError(`header block inflates to more than ${this.maxBytes} bytes`);
      throw new SpdySessionError(`header block does not inflate: ${e.message}`);
    }
    this.window = slide(this.window, block);
    return block;
  }
}
