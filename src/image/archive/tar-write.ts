/**
 * A minimal ustar writer for the archives skiff produces (image export, bundles): regular files
 * with short ASCII names only, which is all an OCI image layout needs
 * (`blobs/sha256/<64 hex>` is 77 bytes, under ustar's 100).
 */

export type TarFile = {
  name: string;
  size: number;
  /** The file's bytes, streamed; must yield exactly `size` bytes. */
  body: () => AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
  mode?: number;
  /** Seconds since the epoch; 0 by default, so archives of the same images are identical. */
  mtime?: number;
};

const BLOCK = 512;
const enc = new TextEncoder();

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** Largest size the 12-byte octal field holds (11 digits): 8 GiB - 1. */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

/**
 * A size field: octal up to 8 GiB - 1, GNU base-256 above (high bit set, the value
 * big-endian in the rest), which GNU tar, Go's archive/tar and skiff's reader all take.
 */
function sizeField(size: number): Uint8Array {
  if (size <= MAX_OCTAL_SIZE) return enc.encode(octal(size, 12));
  const field = new Uint8Array(12);
  let n = BigInt(size);
  for (let i = 11; i > 0; i--, n >>= 8n) field[i] = Number(n & 0xffn);
  field[0] = 0x80;
  return field;
}

/** One ustar header block for a regular file. */
export function fileHeader(name: string, size: number, mode = 0o644, mtime = 0): Uint8Array {
  if (!/^[\x21-\x7e]{1,100}$/.test(name)) throw new Error(`tar: name "${name}" is not a short printable ASCII path`);
  const h = new Uint8Array(BLOCK);
  const put = (offset: number, text: string) => h.set(enc.encode(text), offset);
  put(0, name);
  put(100, octal(mode, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  h.set(sizeField(size), 124);
  put(136, octal(mtime, 12));
  put(148, "        "); // checksum is computed with this field as spaces
  put(156, "0");
  put(257, "ustar\x0000");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** Streams a tar of `files`, ending with the two zero blocks. */
export async function* writeTar(files: AsyncIterable<TarFile> | Iterable<TarFile>): AsyncGenerator<Uint8Array> {
  for await (const f of files) {
    yield fileHeader(f.name, f.size, f.mode, f.mtime);
    let written = 0;
    for await (const chunk of f.body() as AsyncIterable<Uint8Array>) {
      written += chunk.length;
      if (written > f.size) throw new Error(`tar: "${f.name}" is longer than its declared ${f.size} bytes`);
      yield chunk;
    }
    if (written !== f.size) throw new Error(`tar: "${f.name}" gave ${written} bytes, declared ${f.size}`);
    const pad = (BLOCK - (f.size % BLOCK)) % BLOCK;
    if (pad > 0) yield new Uint8Array(pad);
  }
  yield new Uint8Array(BLOCK * 2);
}

/** A TarFile for bytes already in memory. */
export function bytesFile(name: string, bytes: Uint8Array): TarFile {
  return { name, size: bytes.length, body: async function* () {
    yield bytes;
  } };
}
