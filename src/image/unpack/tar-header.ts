/**
 * Parsing of one 512-byte tar header block: the ustar layout (POSIX.1-1988, as extended
 * by POSIX.1-2001 pax and by GNU tar), checksum verification and numeric fields in
 * octal or GNU base-256. Pure functions; the stream logic is in `tar-reader.ts`.
 *
 * Field offsets (bytes): name 0+100, mode 100+8, uid 108+8, gid 116+8, size 124+12,
 * mtime 136+12, chksum 148+8, typeflag 156, linkname 157+100, magic 257+6, version 263+2,
 * uname 265+32, gname 297+32, devmajor 329+8, devminor 337+8, prefix 345+155 (ustar only;
 * GNU keeps atime/ctime there). See https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html
 */
import { TarFormatError } from "./errors.ts";

export const BLOCK_SIZE = 512;

/** Bytes of padding after a body of `size` bytes, up to the next block boundary. */
export const padding = (size: number): number => (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;

/** The header's own fields, before PAX or GNU long-name records override them. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  format: "ustar" | "gnu" | "v7";
}

const utf8 = new TextDecoder("utf-8");

/**
 * Decodes a NUL-terminated string field. Names are decoded as UTF-8; bytes that are not
 * valid UTF-8 become U+FFFD, so such a name is written under a different (but still
 * contained) name. Real images use UTF-8 names.
 */
export function cString(b: Uint8Array, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return utf8.decode(nul === -1 ? field : field.subarray(0, nul));
}

/**
 * A numeric field: octal ASCII (leading spaces/NULs and a space or NUL terminator
 * allowed, empty = 0), or GNU base-256 when the high bit of the first byte is set: the
 * rest is a big-endian two's-complement integer (0xff lead byte = negative).
 */
export function parseNumeric(b: Uint8Array, start: number, len: number, field: string): number {
  const f = b.subarray(start, start + len);
  if (f.length > 0 && (f[0]! & 0x80) !== 0) {
    let v = BigInt(f[0]! & 0x7f);
    for (let i = 1; i < f.length; i++) v = (v << 8n) | BigInt(f[i]!);
    if ((f[0]! & 0x40) !== 0) v -= 1n << BigInt(f.length * 8 - 1);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new TarFormatError(`header field ${field}: base-256 value out of range`);
    }
    return Number(v);
  }
  let i = 0;
  let end = f.length;
  while (i < end && (f[i] === 0x20 || f[i] === 0)) i++;
  while (end > i && (f[end - 1] === 0x20 || f[end - 1] === 0)) end--;
  let v = 0;
  for (let j = i; j < end; j++) {
    const c = f[j]!;
    if (c < 0x30 || c > 0x37) {
      throw new TarFormatError(`header field ${field}: invalid octal digit 0x${c.toString(16).padStart(2, "0")}`);
    }
    v = v * 8 + (c - 0x30);
  }
  if (!Number.isSafeInteger(v)) throw new TarFormatError(`header field ${field}: octal value out of range`);
  return v;
}

/** True if every byte of the block is zero (an end-of-archive marker block). */
export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK_SIZE; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Verifies the header checksum: the sum of all header bytes with the checksum field
 * counted as eight spaces. Historic writers summed signed bytes; both are accepted.
 */
export function verifyChecksum(b: Uint8Array): void {
  const stored = parseNumeric(b, 148, 8, "chksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TarFormatError(`header checksum mismatch (stored ${stored}, computed ${unsigned})`);
  }
}

function magicOf(b: Uint8Array): RawHeader["format"] {
  const m = String.fromCharCode(...b.subarray(257, 265));
  if (m === "ustar\x0000") return "ustar";
  if (m === "ustar  \x00") return "gnu";
  return "v7";
}

/** Parses and checks one header block (which must not be a zero block). */
export function parseHeader(b: Uint8Array): RawHeader {
  verifyChecksum(b);
  const format = magicOf(b);
  const typeflag = b[156] === 0 ? "\0" : String.fromCharCode(b[156]!);
  let name = cString(b, 0, 100);
  if (format === "ustar") {
    const prefix = cString(b, 345, 155);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  const hasOwnerNames = format !== "v7";
  const isDevice = typeflag === "3" || typeflag === "4";
  return {
    name,
    mode: parseNumeric(b, 100, 8, "mode") & 0o7777,
    uid: parseNumeric(b, 108, 8, "uid"),
    gid: parseNumeric(b, 116, 8, "gid"),
    size: parseNumeric(b, 124, 12, "size"),
    mtime: parseNumeric(b, 136, 12, "mtime"),
    typeflag,
    linkname: cString(b, 157, 100),
    uname: hasOwnerNames ? cString(b, 265, 32) : "",
    gname: hasOwnerNames ? cString(b, 297, 32) : "",
    // Writers leave the device fields blank or garbage for non-devices; read them only when used.
    devmajor: hasOwnerNames && isDevice ? parseNumeric(b, 329, 8, "devmajor") : 0,
    devminor: hasOwnerNames && isDevice ? parseNumeric(b, 337, 8, "devminor") : 0,
    format,
  };
}
