/**
 * PAX extended header records (POSIX.1-2001 `pax` format, typeflags 'x' and 'g'):
 * a sequence of `"<len> <key>=<value>\n"` where `<len>` counts the whole record in bytes,
 * itself included. Values are UTF-8, except `SCHILY.xattr.<name>` values, which are the
 * raw xattr bytes (star and GNU tar write them that way), so values are kept as bytes.
 */
import { TarFormatError } from "./errors.ts";

export type PaxRecords = Map<string, Uint8Array>;

const utf8 = new TextDecoder("utf-8");
const SPACE = 0x20;
const EQUALS = 0x3d;
const NEWLINE = 0x0a;

/** Parses the body of a PAX header. Later records with the same key win. */
export function parsePax(body: Uint8Array): PaxRecords {
  const out: PaxRecords = new Map();
  let pos = 0;
  while (pos < body.length) {
    // Some writers pad the body with NULs.
    if (body[pos] === 0) break;
    const space = body.indexOf(SPACE, pos);
    if (space === -1 || space - pos > 20) throw new TarFormatError(`pax header: malformed record at byte ${pos}`);
    const lenText = utf8.decode(body.subarray(pos, space));
    if (!/^[1-9][0-9]*$/.test(lenText)) throw new TarFormatError(`pax header: bad record length "${lenText}"`);
    const len = Number(lenText);
    const end = pos + len;
    if (end > body.length || body[end - 1] !== NEWLINE || end <= space + 1) {
      throw new TarFormatError(`pax header: record at byte ${pos} overruns its length`);
    }
    const record = body.subarray(space + 1, end - 1);
    const eq = record.indexOf(EQUALS);
    if (eq <= 0) throw new TarFormatError(`pax header: record at byte ${pos} has no key`);
    out.set(utf8.decode(record.subarray(0, eq)), record.slice(eq + 1));
    pos = end;
  }
  return out;
}

/** A PAX value as text. */
export const paxText = (v: Uint8Array): string => utf8.decode(v);

/** A non-negative integer PAX value (size, uid, gid). */
export function paxInteger(key: string, v: Uint8Array): number {
  const s = paxText(v);
  if (!/^[0-9]{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new TarFormatError(`pax header: ${key} "${s.slice(0, 40)}" is not a valid integer`);
  }
  return Number(s);
}

/** A PAX time value: decimal seconds since the epoch, optionally negative and fractional. */
export function paxTime(key: string, v: Uint8Array): number {
  const s = paxText(v);
  if (!/^-?[0-9]{1,16}(\.[0-9]{0,32})?$/.test(s)) {
    throw new TarFormatError(`pax header: ${key} "${s.slice(0, 40)}" is not a valid time`);
  }
  return Number(s);
}
