/**
 * The Name/Value header block of SYN_STREAM, SYN_REPLY and HEADERS, uncompressed
 * (draft 3.1, section 2.6.10): a 32-bit count, then per pair a 32-bit name length, the
 * name, a 32-bit value length, the value. Names are non-empty lowercase ASCII and
 * appear once; a value holding several values separates them with NUL. Compression is
 * header-zlib.ts's business.
 */

/** Header values by lowercase name. Several values of one name arrive NUL-joined. */
export type SpdyHeaders = Record<string, string>;

/** The block's contents broke a rule; the stream it belongs to gets PROTOCOL_ERROR. */
export class HeaderBlockError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Serialises headers. Names are lowercased (SPDY/3 requires it) and must be non-empty;
 * two names that lowercase alike are refused, as the peer would refuse them.
 */
export function packHeaderBlock(headers: SpdyHeaders): Uint8Array {
  const pairs: [Uint8Array, Uint8Array][] = [];
  const seen = new Set<string>();
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (name === "") throw new HeaderBlockError("header name is empty");
    if (seen.has(name)) throw new HeaderBlockError(`header "${name}" appears twice`);
    seen.add(name);
    pairs.push([encoder.encode(name), encoder.encode(value)]);
  }
  const size = pairs.reduce((n, [k, v]) => n + 8 + k.length + v.length, 4);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, pairs.length);
  let at = 4;
  for (const [k, v] of pairs) {
    view.setUint32(at, k.length);
    out.set(k, at + 4);
    at += 4 + k.length;
    view.setUint32(at, v.length);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  return out;
}

/** Whether a name is lowercase printable ASCII without separators' worth of trouble (NUL, CR, LF). */
function validName(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b <= 0x20 || b >= 0x7f || (b >= 0x41 && b <= 0x5a)) return false;
  return true;
}

/** Parses a decompressed block; throws HeaderBlockError naming what is wrong. */
export function unpackHeaderBlock(block: Uint8Array): SpdyHeaders {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const headers: SpdyHeaders = Object.create(null);
  let at = 0;
  /** The next `n` bytes, or an error naming what they were to hold. */
  const take = (n: number, what: string) => {
    if (at + n > block.length) throw new HeaderBlockError(`header block ends inside ${what}`);
    at += n;
    return block.subarray(at - n, at);
  };
  const uint32 = (what: string) => {
    take(4, what);
    return view.getUint32(at - 4);
  };
  /** A 32-bit length, then that many bytes. */
  const lengthPrefixed = (what: string) => take(uint32(`a ${what} length`), `a ${what}`);
  const count = uint32("its pair count");
  // Each pair takes at least 8 bytes: a count the block cannot hold is a lie, refuse early.
  if (count * 8 > block.length - 4) throw new HeaderBlockError(`header block claims ${count} pairs in ${block.length} bytes`);
  for (let i = 0; i < count; i++) {
    const nameBytes = lengthPrefixed("name");
    const value = lengthPrefixed("value");
    const valueLen = value.length;
    if (nameBytes.length === 0) throw new HeaderBlockError("header name is empty");
    if (!validName(nameBytes)) throw new HeaderBlockError(`header name ${JSON.stringify(decoder.decode(nameBytes))} is not lowercase ASCII`);
    const name = decoder.decode(nameBytes);
    if (name in headers) throw new HeaderBlockError(`header "${name}" appears twice`);
    if (valueLen > 0 && (value[0] === 0 || value[valueLen - 1] === 0 || value.some((b, j) => b === 0 && value[j + 1] === 0))) {
      throw new HeaderBlockError(`header "${name}" has an empty value among its NUL-separated values`);
    }
    headers[name] = decoder.decode(value);
  }
  if (at !== block.length) throw new HeaderBlockError(`header block has ${block.length - at} bytes after its last pair`);
  return headers;
}
