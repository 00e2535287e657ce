/**
 * gzip decompression by the system's zlib (libz.so.1) through bun:ffi, into a small ring
 * of output buffers that are used again and again. node:zlib's stream hands out a new
 * Buffer per chunk, and a layer's worth of them waits for the collector: measured on
 * three 40 MiB layers, that held 25–35 MiB whatever the chunk size or how often a
 * collection was forced, which is most of what each unpack Worker added to a pull's peak.
 *
 * The price is that a chunk handed out is valid only until `RING` more chunks have been
 * produced, after which its bytes are overwritten. The unpacker's readers keep nothing
 * past the next chunk (the tar reader parses a header before it reads on and copies
 * extended records and whatever spans chunks; the body writer copies what it batches;
 * test/unit/image/unpack/native-gunzip.test.ts holds them to a single reused buffer),
 * and only `applyLayer` asks for it; the ring is margin.
 *
 * Linux only (glibc's LP64 z_stream layout, shared by x86_64 and aarch64); elsewhere, or
 * when libz cannot be opened, `openNativeGunzip` returns undefined and the caller keeps
 * node:zlib. Concatenated gzip members are read one after another and trailing zero bytes
 * are ignored, as node:zlib does.
 */
import { CString, dlopen, ptr } from "bun:ffi";

const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_BUF_ERROR = -5;
const Z_NO_FLUSH = 0;
/** 15-bit window, +16: a gzip header and trailer, never zlib or raw. */
const GZIP_WINDOW_BITS = 15 + 16;

// struct z_stream on LP64: offsets of the fields set or read here, and its size.
const NEXT_IN = 0;
const AVAIL_IN = 8;
const NEXT_OUT = 24;
const AVAIL_OUT = 32;
const MSG = 48;
const Z_STREAM_SIZE = 112;

/** Output buffers in the ring, and the size of each. */
export const RING = 4;
const OUT_BYTES = 256 * 1024;

const SYMBOLS = {
  zlibVersion: { args: [], returns: "ptr" },
  inflateInit2_: { args: ["ptr", "i32", "ptr", "i32"], returns: "i32" },
  inflate: { args: ["ptr", "i32"], returns: "i32" },
  inflateReset: { args: ["ptr"], returns: "i32" },
  inflateEnd: { args: ["ptr"], returns: "i32" },
} as const;

type Zlib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

let zlib: Zlib | null | undefined;

function load(): Zlib | null {
  if (zlib !== undefined) return zlib;
  zlib = null;
  if (process.platform !== "linux") return zlib;
  try {
    zlib = dlopen("libz.so.1", SYMBOLS).symbols;
  } catch {
    // No libz: node:zlib it is.
  }
  return zlib;
}

/** A gzip decoder over libz, or undefined where there is none. */
export function openNativeGunzip(): NativeGunzip | undefined {
  const z = load();
  return z ? new NativeGunzip(z) : undefined;
}

export class NativeGunzip {
  readonly #z: Zlib;
  readonly #strm = new Uint8Array(Z_STREAM_SIZE);
  readonly #view = new DataView(this.#strm.buffer);
  readonly #ring = Array.from({ length: RING }, () => new Uint8Array(OUT_BYTES));
  #next = 0;
  #open = true;
  /** Between members: the last one ended and no byte of a next one has come. */
  #between = false;
  #anyInput = false;

  constructor(z: Zlib) {
    this.#z = z;
    const rc = z.inflateInit2_(ptr(this.#strm), GZIP_WINDOW_BITS, z.zlibVersion(), Z_STREAM_SIZE);
    if (rc !== Z_OK) throw new Error(`zlib inflateInit2_ failed (${rc})`);
  }

  /**
   * Decompresses `input`, yielding the output a buffer at a time. Each chunk yielded is a
   * view into the ring: valid until `RING` more chunks have been yielded.
   */
  *push(input: Uint8Array): Generator<Uint8Array> {
    if (!this.#open) throw new Error("gzip decoder used after close");
    let off = 0;
    while (off < input.length) {
      if (this.#between) {
        // After a member: zero bytes are padding; anything else starts the next member.
        while (off < input.length && input[off] === 0) off++;
        if (off === input.length) return;
        this.#check(this.#z.inflateReset(ptr(this.#strm)), "inflateReset");
        this.#between = false;
      }
      this.#anyInput = true;
      const inPtr = ptr(input, off);
      const inLen = input.length - off;
      this.#view.setBigUint64(NEXT_IN, BigInt(inPtr), true);
      this.#view.setUint32(AVAIL_IN, inLen, true);
      // Inflate until this input is used up or the member ends.
      for (;;) {
        const out = this.#ring[this.#next]!;
        this.#view.setBigUint64(NEXT_OUT, BigInt(ptr(out)), true);
        this.#view.setUint32(AVAIL_OUT, out.length, true);
        const rc = this.#z.inflate(ptr(this.#strm), Z_NO_FLUSH);
        const produced = out.length - this.#view.getUint32(AVAIL_OUT, true);
        if (rc !== Z_OK && rc !== Z_STREAM_END && rc !== Z_BUF_ERROR) this.#check(rc, "inflate");
        if (produced > 0) {
          this.#next = (this.#next + 1) % RING;
          yield out.subarray(0, produced);
        }
        const left = this.#view.getUint32(AVAIL_IN, true);
        if (rc === Z_STREAM_END) {
          off = input.length - left;
          this.#between = true;
          break;
        }
        // zlib stops when the output is full (more may be waiting: go on) or the input is
        // used up; input left with room to spare means it cannot go on.
        if (produced === out.length) continue;
        if (left === 0) {
          off = input.length;
          break;
        }
        throw new Error("gzip: invalid data (inflate made no progress)");
      }
    }
  }

  /** Throws unless the input ended at the end of a member. */
  finish(): void {
    if (!this.#anyInput || !this.#between) throw new Error("unexpected end of file");
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#z.inflateEnd(ptr(this.#strm));
  }

  #check(rc: number, call: string): void {
    if (rc === Z_OK) return;
    const msg = this.#view.getBigUint64(MSG, true);
    const text = msg === 0n ? `code ${rc}` : new CString(Number(msg)).toString();
    throw new Error(`gzip: ${text} (zlib ${call} ${rc})`);
  }
}
