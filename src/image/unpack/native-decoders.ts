/**
 * gzip and zstd decompression by the system's libraries (libz.so.1, libzstd.so.1) through
 * bun:ffi, into a small ring of output buffers that are used again and again. node:zlib's
 * streams hand out a new Buffer per chunk, and a layer's worth of them waits for the
 * collector: measured on three 40 MiB gzip layers, that held 25–35 MiB whatever the chunk
 * size or how often a collection was forced, which was most of what each unpack Worker
 * added to a pull's peak; its default 16 KiB chunks were also 3–4× slower.
 *
 * The price is that a chunk handed out is valid only until `RING` more chunks have been
 * produced, after which its bytes are overwritten. The unpacker's readers keep nothing
 * past the next chunk (the tar reader parses a header before it reads on and copies
 * extended records and whatever spans chunks; the body writer copies what it batches;
 * test/unit/image/unpack/native-decoders.test.ts holds them to a single reused buffer),
 * and only `applyLayer` asks for it; the ring is margin.
 *
 * Linux only (LP64 struct layouts, shared by x86_64 and aarch64); elsewhere, or when a
 * library cannot be opened, `openNativeDecoder` returns undefined and the caller keeps
 * node:zlib. gzip: concatenated members are read one after another and trailing zero
 * bytes are ignored, as node:zlib does. zstd: any number of frames, skippable ones
 * included; input that ends inside a frame is an error.
 */
import { CString, dlopen, type Pointer, ptr } from "bun:ffi";

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

/** What both decoders offer. */
export interface NativeDecoder {
  /** Decompresses `input`, yielding views into the ring: each valid until `RING` more have been yielded. */
  push(input: Uint8Array): Generator<Uint8Array>;
  /** Throws unless the input ended where a stream may end. */
  finish(): void;
  close(): void;
}

/** A ring of output buffers, handed out in turn. */
class Ring {
  readonly #bufs = Array.from({ length: RING }, () => new Uint8Array(OUT_BYTES));
  #next = 0;
  /** The buffer to fill next; `advance` once something was written into it. */
  get current(): Uint8Array {
    return this.#bufs[this.#next]!;
  }
  advance(): void {
    this.#next = (this.#next + 1) % RING;
  }
}

const SYMBOLS = {
  zlibVersion: { args: [], returns: "ptr" },
  inflateInit2_: { args: ["ptr", "i32", "ptr", "i32"], returns: "i32" },
  inflate: { args: ["ptr", "i32"], returns: "i32" },
  inflateReset: { args: ["ptr"], returns: "i32" },
  inflateEnd: { args: ["ptr"], returns: "i32" },
} as const;

const ZSTD_SYMBOLS = {
  ZSTD_createDStream: { args: [], returns: "ptr" },
  ZSTD_initDStream: { args: ["ptr"], returns: "u64" },
  ZSTD_decompressStream: { args: ["ptr", "ptr", "ptr"], returns: "u64" },
  ZSTD_freeDStream: { args: ["ptr"], returns: "u64" },
  ZSTD_isError: { args: ["u64"], returns: "u32" },
  ZSTD_getErrorName: { args: ["u64"], returns: "ptr" },
} as const;

type Zlib = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
type Zstd = ReturnType<typeof dlopen<typeof ZSTD_SYMBOLS>>["symbols"];

/** Opens a library once per thread (bun:ffi handles are per thread); null where it cannot. */
function loader<T>(file: string, open: (file: string) => T): () => T | null {
  let lib: T | null | undefined;
  return () => {
    if (lib !== undefined) return lib;
    lib = null;
    if (process.platform !== "linux") return lib;
    try {
      lib = open(file);
    } catch {
      // Not there: node:zlib it is.
    }
    return lib;
  };
}

const loadZlib = loader("libz.so.1", (f) => dlopen(f, SYMBOLS).symbols);
const loadZstd = loader("libzstd.so.1", (f) => dlopen(f, ZSTD_SYMBOLS).symbols);

/** A decoder for `kind` over the system's library, or undefined where there is none. */
export function openNativeDecoder(kind: "gzip" | "zstd"): NativeDecoder | undefined {
  if (kind === "gzip") {
    const z = loadZlib();
    return z ? new NativeGunzip(z) : undefined;
  }
  const z = loadZstd();
  return z ? new NativeZstd(z) : undefined;
}

class NativeGunzip implements NativeDecoder {
  readonly #z: Zlib;
  readonly #strm = new Uint8Array(Z_STREAM_SIZE);
  readonly #view = new DataView(this.#strm.buffer);
  readonly #ring = new Ring();
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
        const out = this.#ring.current;
        this.#view.setBigUint64(NEXT_OUT, BigInt(ptr(out)), true);
        this.#view.setUint32(AVAIL_OUT, out.length, true);
        const rc = this.#z.inflate(ptr(this.#strm), Z_NO_FLUSH);
        const produced = out.length - this.#view.getUint32(AVAIL_OUT, true);
        if (rc !== Z_OK && rc !== Z_STREAM_END && rc !== Z_BUF_ERROR) this.#check(rc, "inflate");
        if (produced > 0) {
          this.#ring.advance();
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

// ZSTD_inBuffer { const void* src; size_t size; size_t pos; } and ZSTD_outBuffer
// { void* dst; size_t size; size_t pos; }, 24 bytes each on LP64.
const BUF_PTR = 0;
const BUF_SIZE = 8;
const BUF_POS = 16;

class NativeZstd implements NativeDecoder {
  readonly #z: Zstd;
  readonly #ds: Pointer;
  readonly #in = new Uint8Array(24);
  readonly #inView = new DataView(this.#in.buffer);
  readonly #out = new Uint8Array(24);
  readonly #outView = new DataView(this.#out.buffer);
  readonly #ring = new Ring();
  #open = true;
  #anyInput = false;
  /** What the last ZSTD_decompressStream returned: 0 at the end of a frame. */
  #last = 0n;

  constructor(z: Zstd) {
    this.#z = z;
    const ds = z.ZSTD_createDStream();
    if (!ds) throw new Error("ZSTD_createDStream failed");
    this.#ds = ds as Pointer;
    this.#check(z.ZSTD_initDStream(this.#ds) as bigint, "ZSTD_initDStream");
  }

  *push(input: Uint8Array): Generator<Uint8Array> {
    if (!this.#open) throw new Error("zstd decoder used after close");
    if (input.length === 0) return;
    this.#anyInput = true;
    this.#inView.setBigUint64(BUF_PTR, BigInt(ptr(input)), true);
    this.#inView.setBigUint64(BUF_SIZE, BigInt(input.length), true);
    this.#inView.setBigUint64(BUF_POS, 0n, true);
    let usedBefore = -1;
    for (;;) {
      const out = this.#ring.current;
      this.#outView.setBigUint64(BUF_PTR, BigInt(ptr(out)), true);
      this.#outView.setBigUint64(BUF_SIZE, BigInt(out.length), true);
      this.#outView.setBigUint64(BUF_POS, 0n, true);
      const rc = BigInt(this.#z.ZSTD_decompressStream(this.#ds, ptr(this.#out), ptr(this.#in)));
      this.#check(rc, "ZSTD_decompressStream");
      this.#last = rc;
      const produced = Number(this.#outView.getBigUint64(BUF_POS, true));
      if (produced > 0) {
        this.#ring.advance();
        yield out.subarray(0, produced);
      }
      const used = Number(this.#inView.getBigUint64(BUF_POS, true));
      // Output full: more may be waiting. Otherwise the input is used up (libzstd stops
      // only when one of the two is), and the next chunk carries on.
      if (produced === out.length) continue;
      if (used === input.length) return;
      if (produced === 0 && used === usedBefore) throw new Error("zstd: invalid data (decoder made no progress)");
      usedBefore = used;
    }
  }

  finish(): void {
    if (!this.#anyInput || this.#last !== 0n) throw new Error("unexpected end of file");
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#z.ZSTD_freeDStream(this.#ds);
  }

  #check(rc: bigint, call: string): void {
    if (!this.#z.ZSTD_isError(rc)) return;
    const name = new CString(this.#z.ZSTD_getErrorName(rc)!).toString();
    throw new Error(`zstd: ${name} (${call})`);
  }
}
