/**
 * A small tar writer for tests: ustar headers, PAX records for what ustar cannot hold
 * (long names, xattrs, fractional times, big ids), GNU long names and base-256 numbers
 * on request, and knobs to craft hostile or broken archives (any name, link target or
 * typeflag; a lying size; a bad checksum). Plus compression and streaming helpers.
 */

export type TarType = "file" | "link" | "symlink" | "char" | "block" | "dir" | "fifo";

const TYPEFLAGS: Record<TarType, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};

export interface TarEntrySpec {
  name: string;
  /** Default "file", or "dir" for a name ending in "/". */
  type?: TarType;
  /** Raw typeflag, overriding `type` (e.g. "7", "\0", "S", "V", "g"). */
  typeflag?: string;
  data?: string | Uint8Array;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds; a fraction goes into a PAX `mtime` record. Default 1_700_000_000. */
  mtime?: number;
  atime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string | Uint8Array>;
  /** Extra PAX records for this entry. */
  pax?: Record<string, string | Uint8Array>;
  /** How to write a name or link target longer than ustar allows. Default "pax". */
  longNames?: "pax" | "gnu";
  /** The header's size field, when it should differ from the data length (a lie). */
  size?: number;
  /** Write uid, gid, size and mtime in GNU base-256 instead of octal. */
  base256?: boolean;
  /** Spoil the header checksum. */
  corruptChecksum?: boolean;
  /** Use the GNU magic ("ustar  \0") instead of POSIX ustar. */
  gnuMagic?: boolean;
}

export interface TarOptions {
  /** Write the two zero blocks that end an archive. Default true. */
  end?: boolean;
  /** Pad the archive to a multiple of this many bytes (GNU tar uses 10240). Default 512. */
  recordSize?: number;
}

const enc = new TextEncoder();
const bytes = (v: string | Uint8Array): Uint8Array => (typeof v === "string" ? enc.encode(v) : v);

/** The archive for `entries`, as one buffer. */
export function tar(entries: TarEntrySpec[], opts: TarOptions = {}): Uint8Array<ArrayBuffer> {
  const out: Uint8Array[] = [];
  for (const e of entries) out.push(...entryBlocks(e));
  if (opts.end ?? true) out.push(new Uint8Array(1024));
  let total = out.reduce((n, b) => n + b.length, 0);
  const record = opts.recordSize ?? 512;
  if (total % record !== 0) out.push(new Uint8Array(record - (total % record)));
  total = out.reduce((n, b) => n + b.length, 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const b of out) {
    buf.set(b, off);
    off += b.length;
  }
  return buf;
}

/** A global PAX header entry (typeflag 'g'). */
export function paxGlobal(records: Record<string, string | Uint8Array>): TarEntrySpec {
  return { name: "pax_global_header", typeflag: "g", data: paxBody(records) };
}

/** Encodes PAX records: `"<len> <key>=<value>\n"`, where `<len>` counts the whole record. */
export function paxBody(records: Record<string, string | Uint8Array>): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const [k, v] of Object.entries(records)) {
    const rest = concat([enc.encode(` ${k}=`), bytes(v), enc.encode("\n")]);
    let len = rest.length + 1;
    while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
    parts.push(concat([enc.encode(String(len)), rest]));
  }
  return concat(parts);
}

function entryBlocks(e: TarEntrySpec): Uint8Array[] {
  const type = e.type ?? (e.name.endsWith("/") ? "dir" : "file");
  const typeflag = e.typeflag ?? TYPEFLAGS[type];
  const data = e.data === undefined ? new Uint8Array(0) : bytes(e.data);
  const pax: Record<string, string | Uint8Array> = { ...e.pax };
  const pre: Uint8Array[] = [];
  const gnu = e.longNames === "gnu";

  let name = e.name;
  let prefix = "";
  if (enc.encode(name).length > 100) {
    const split = splitUstar(name);
    if (split && !gnu) [prefix, name] = split;
    else if (gnu) pre.push(...entryBlocks({ name: "././@LongLink", typeflag: "L", data: `${e.name}\0`, gnuMagic: true }));
    else pax.path = e.name;
  }
  const linkname = e.linkname ?? "";
  if (enc.encode(linkname).length > 100) {
    if (gnu) pre.push(...entryBlocks({ name: "././@LongLink", typeflag: "K", data: `${linkname}\0`, gnuMagic: true }));
    else pax.linkpath = linkname;
  }
  const mtime = e.mtime ?? 1_700_000_000;
  if (!Number.isInteger(mtime)) pax.mtime = String(mtime);
  if (e.atime !== undefined) pax.atime = String(e.atime);
  for (const [k, v] of Object.entries(e.xattrs ?? {})) pax[`SCHILY.xattr.${k}`] = v;

  const numeric = (key: string, v: number, width: number): Uint8Array => {
    if (e.base256 || gnu) return v < 8 ** (width - 1) && !e.base256 ? octal(v, width) : base256(v, width);
    if (v >= 8 ** (width - 1)) {
      pax[key] = String(v);
      return octal(0, width);
    }
    return octal(v, width);
  };

  const h = new Uint8Array(512);
  h.set(enc.encode(name).subarray(0, 100), 0);
  h.set(octal(e.mode ?? (type === "dir" ? 0o755 : 0o644), 8), 100);
  h.set(numeric("uid", e.uid ?? 0, 8), 108);
  h.set(numeric("gid", e.gid ?? 0, 8), 116);
  h.set(numeric("size", e.size ?? data.length, 12), 124);
  h.set(numeric("mtime", Math.floor(mtime), 12), 136);
  h[156] = typeflag.charCodeAt(0);
  h.set(enc.encode(linkname).subarray(0, 100), 157);
  h.set(enc.encode(e.gnuMagic || gnu ? "ustar  \0" : "ustar\x0000"), 257);
  h.set(enc.encode(e.uname ?? "root").subarray(0, 32), 265);
  h.set(enc.encode(e.gname ?? "root").subarray(0, 32), 297);
  h.set(octal(e.devmajor ?? 0, 8), 329);
  h.set(octal(e.devminor ?? 0, 8), 337);
  h.set(enc.encode(prefix), 345);
  h.fill(0x20, 148, 156);
  let sum = h.reduce((n, b) => n + b, 0);
  if (e.corruptChecksum) sum += 1;
  h.set(enc.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);

  if (Object.keys(pax).length > 0) {
    const paxName = `PaxHeaders.0/${name.split("/").pop() ?? ""}`.slice(0, 99);
    pre.push(...entryBlocks({ name: paxName, typeflag: "x", data: paxBody(pax), gnuMagic: e.gnuMagic }));
  }
  return [...pre, h, ...padded(data)];
}

/** Splits a long name into ustar prefix (≤155 bytes) and name (≤100 bytes) at a "/", if possible. */
function splitUstar(name: string): [string, string] | undefined {
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== "/") continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (enc.encode(prefix).length <= 155 && enc.encode(rest).length <= 100 && rest !== "") return [prefix, rest];
  }
  return undefined;
}

function octal(v: number, width: number): Uint8Array {
  return enc.encode(`${v.toString(8).padStart(width - 1, "0")}\0`);
}

/** GNU base-256: 0x80 (or 0xff for negatives) then a big-endian two's-complement value. */
export function base256(v: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let x = BigInt.asUintN(width * 8, BigInt(v));
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  out[0] = v < 0 ? 0xff : 0x80 | out[0]!;
  return out;
}

function padded(data: Uint8Array): Uint8Array[] {
  if (data.length === 0) return [];
  const pad = (512 - (data.length % 512)) % 512;
  return pad === 0 ? [data] : [data, new Uint8Array(pad)];
}

export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const gzip = (b: Uint8Array): Uint8Array<ArrayBuffer> => Bun.gzipSync(b as Uint8Array<ArrayBuffer>);
export const zstd = (b: Uint8Array): Uint8Array<ArrayBuffer> =>
  new Uint8Array(Bun.zstdCompressSync(b as Uint8Array<ArrayBuffer>));

/** `b` as an async iterable of chunks of `size` bytes (odd sizes exercise boundaries). */
export async function* chunked(b: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, Math.min(i + size, b.length));
}

/** `b` as a web ReadableStream, the way a fetch body arrives. */
export function webStream(b: Uint8Array, size = 65536): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (i >= b.length) return ctrl.close();
      ctrl.enqueue(b.slice(i, i + size));
      i += size;
    },
  });
}

/** `sha256:<hex>` of `b`. */
export const sha256 = (b: Uint8Array): string => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
