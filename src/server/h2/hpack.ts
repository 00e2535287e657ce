/**
 * HPACK, the header compression of HTTP/2 (RFC 7541, https://www.rfc-editor.org/rfc/rfc7541),
 * for the server side of a gRPC connection: a decoder that keeps the connection's dynamic
 * table in step with the client's encoder, and a stateless encoder for our responses.
 *
 * Header text is kept as latin1 strings (one char per octet), so any octet a peer sends
 * survives decoding, and sizes in chars are sizes in octets as HPACK counts them.
 */
import { HpackError } from "./hpack-error.ts";
import { huffmanDecodeInto, huffmanMaxDecodedLength } from "./huffman.ts";

export { HpackError };


/** A header field as decoded: name and value, latin1. */
export type HeaderField = [name: string, value: string];

/** The static table (RFC 7541 Appendix A): HPACK index i is `STATIC_TABLE[i - 1]`. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], // 1–4
  [":path", "/index.html"], [":scheme", "http"], [":scheme", "https"], [":status", "200"], // 5–8
  [":status", "204"], [":status", "206"], [":status", "304"], [":status", "400"], [":status", "404"], // 9–13
  [":status", "500"], ["accept-charset", ""], ["accept-encoding", "gzip, deflate"], // 14–16
  ["accept-language", ""], ["accept-ranges", ""], ["accept", ""], // 17–19
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], // 20–23
  ["cache-control", ""], ["content-disposition", ""], ["content-encoding", ""], // 24–26
  ["content-language", ""], ["content-length", ""], ["content-location", ""], ["content-range", ""], // 27–30
  ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""], ["expect", ""], ["expires", ""], // 31–36
  ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""], ["if-none-match", ""], // 37–41
  ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""], // 42–45
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], // 46–49
  ["range", ""], ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], // 50–54
  ["set-cookie", ""], ["strict-transport-security", ""], ["transfer-encoding", ""], // 55–57
  ["user-agent", ""], ["vary", ""], ["via", ""], ["www-authenticate", ""], // 58–61
];

/** What an entry costs beyond its octets (RFC 7541 §4.1); the header list size counts the same. */
const ENTRY_OVERHEAD = 32;
/** Our limit on any HPACK integer (§5.1 lets a decoder set one); no legitimate length or index comes near. */
const MAX_INT = 2 ** 31;
const NO_BLOCK = new Uint8Array(0);

export type HpackDecoderOptions = {
  /** Our SETTINGS_HEADER_TABLE_SIZE: the most the peer may announce in a size update. */
  maxTableSize: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE, counted as RFC 9113 §6.5.2 does. */
  maxHeaderListSize: number;
};

export type DecodedBlock = {
  /**
   * The fields in order. When `tooLarge`, only those that fit under the limit: enough for
   * a log line, not for serving the request.
   */
  fields: HeaderField[];
  /** The header list went over maxHeaderListSize; the block was still decoded to its end. */
  tooLarge: boolean;
};

/**
 * Decodes the header blocks of one connection, in the order they arrived: each block may
 * change the dynamic table the next ones refer to. After an `HpackError` the decoder
 * refuses further blocks.
 */
export class HpackDecoder {
  readonly #maxTableSize: number;
  readonly #maxHeaderListSize: number;
  /** The table size the peer's encoder last announced (§6.3); until then, our setting. */
  #limit: number;
  #size = 0;
  /** Dynamic table, newest first: HPACK index 62 is `#table[0]`. At most 128 entries at 4096 octets. */
  readonly #table: (readonly [string, string])[] = [];
  #failed = false;
  // The block being decoded and the read position in it, shared by the helpers below.
  #block: Uint8Array = NO_BLOCK;
  #pos = 0;
  /** Where Huffman strings decode to; grows to the longest string seen. */
  #text = new Uint8Array(256);

  constructor(opts: HpackDecoderOptions) {
    this.#maxTableSize = opts.maxTableSize;
    this.#maxHeaderListSize = opts.maxHeaderListSize;
    this.#limit = opts.maxTableSize;
  }

  /** The dynamic table, newest first, and its size in HPACK octets (for tests and debugging). */
  get dynamicTable(): { entries: readonly (readonly [string, string])[]; size: number } {
    return { entries: [...this.#table], size: this.#size };
  }

  /** Decodes one complete header block (a HEADERS payload plus its CONTINUATIONs, joined). */
  decode(block: Uint8Array): DecodedBlock {
    if (this.#failed) throw new HpackError("hpack decoder failed on an earlier block");
    this.#block = block;
    this.#pos = 0;
    const fields: HeaderField[] = [];
    let listSize = 0;
    let sawField = false;
    try {
      while (this.#pos < block.length) {
        const first = block[this.#pos]!;
        let field: HeaderField;
        if (first & 0x80) {
          // §6.1 indexed field
          const [name, value] = this.#entry(this.#int(7));
          field = [name, value];
        } else if (first & 0x40) {
          // §6.2.1 literal with incremental indexing
          field = this.#literal(6);
          this.#add(field[0], field[1]);
        } else if (first & 0x20) {
          // §6.3 table size update: §4.2 allows it only before the first field
          if (sawField) throw new HpackError("dynamic table size update after a header field");
          this.#resize(this.#int(5));
          continue;
        } else {
          // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001): same layout
          field = this.#literal(4);
        }
        sawField = true;
        // Past the limit, keep decoding (the table must follow the peer) but collect no more.
        listSize += field[0].length + field[1].length + ENTRY_OVERHEAD;
        if (listSize <= this.#maxHeaderListSize) fields.push(field);
      }
    } catch (err) {
      this.#failed = true;
      throw err;
    } finally {
      this.#block = NO_BLOCK; // hold no reference to the caller's buffer
    }
    return { fields, tooLarge: listSize > this.#maxHeaderListSize };
  }

  /** An integer with an n-bit prefix (§5.1). */
  #int(prefixBits: number): number {
    const block = this.#block;
    if (this.#pos >= block.length) throw new HpackError("header block ends inside a field");
    const mask = (1 << prefixBits) - 1;
    let value = block[this.#pos++]! & mask;
    if (value < mask) return value;
    // Five continuation bytes carry 35 bits: more than any value under MAX_INT needs.
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.#pos >= block.length) throw new HpackError("header block ends inside an integer");
      const byte = block[this.#pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (value > MAX_INT) throw new HpackError("hpack integer over 2^31");
      if (!(byte & 0x80)) return value;
    }
    throw new HpackError("hpack integer encoding over 5 continuation bytes");
  }

  /** A string literal (§5.2), Huffman-coded or raw. */
  #string(): string {
    const huffman = ((this.#block[this.#pos] ?? 0) & 0x80) !== 0;
    const length = this.#int(7);
    const start = this.#pos;
    if (length > this.#block.length - start) throw new HpackError("string literal runs past the end of the header block");
    this.#pos += length;
    if (!huffman) return latin1(this.#block, start, this.#pos);
    const room = huffmanMaxDecodedLength(length);
    if (this.#text.length < room) this.#text = new Uint8Array(room);
    return latin1(this.#text, 0, huffmanDecodeInto(this.#block, start, this.#pos, this.#text));
  }

  /** A literal field (§6.2): the name as an index (non-zero) or a string, then the value. */
  #literal(prefixBits: number): HeaderField {
    const index = this.#int(prefixBits);
    const name = index === 0 ? this.#string() : this.#entry(index)[0];
    return [name, this.#string()];
  }

  /** The entry at an HPACK index (§2.3.3): static first, then dynamic, newest first. */
  #entry(index: number): readonly [string, string] {
    const entry = index <= STATIC_TABLE.length ? STATIC_TABLE[index - 1] : this.#table[index - STATIC_TABLE.length - 1];
    if (index === 0 || !entry) throw new HpackError(`hpack index ${index} is not in the table`);
    return entry;
  }

  /** Adds an entry (§4.4): evicts oldest first; an entry larger than the table just empties it. */
  #add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.#evict(this.#limit - size);
    if (size > this.#limit) return;
    this.#table.unshift([name, value]);
    this.#size += size;
  }

  #resize(limit: number): void {
    const max = this.#maxTableSize;
    if (limit > max) throw new HpackError(`dynamic table size update to ${limit} is over our ${max}`);
    this.#limit = limit;
    this.#evict(limit);
  }

  /** Evicts the oldest entries until the table takes at most `room` octets. */
  #evict(room: number): void {
    while (this.#size > room && this.#table.length > 0) {
      const [name, value] = this.#table.pop()!;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

/** Octets as a latin1 string. Buffer's "latin1" is ISO-8859-1; TextDecoder's would be windows-1252. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  // Header text is mostly short, where a plain loop beats making a Buffer view.
  if (end - start > 64) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** For the encoder: each static name's first index, and the index of each exact (name, value). */
const STATIC_NAMES = new Map<string, { index: number; values: Map<string, number> }>();
STATIC_TABLE.forEach(([name, value], i) => {
  let entry = STATIC_NAMES.get(name);
  if (!entry) STATIC_NAMES.set(name, (entry = { index: i + 1, values: new Map() }));
  if (!entry.values.has(value)) entry.values.set(value, i + 1);
});

// One growing scratch buffer for all encoding: the encoder is synchronous, so no two
// blocks are ever written at once, and each result is copied out.
let scratch = new Uint8Array(1024);
let written = 0;

/** An integer with an n-bit prefix (§5.1), the first byte's other bits set to `flags`: at most 6 bytes. */
function writeInt(value: number, prefixBits: number, flags: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    scratch[written++] = flags | value;
    return;
  }
  scratch[written++] = flags | mask;
  for (value -= mask; value >= 0x80; value >>>= 7) scratch[written++] = (value & 0x7f) | 0x80;
  scratch[written++] = value;
}

/** A raw (never Huffman) string literal. */
function writeString(text: string): void {
  writeInt(text.length, 7, 0);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new TypeError(`header text ${JSON.stringify(text.slice(0, 40))} has a char over 0xff`);
    scratch[written++] = c;
  }
}

/**
 * Encodes a header block without touching any dynamic table, so blocks of different
 * streams can be written in any order and the server keeps no encoder state: an exact
 * static match is an indexed field, anything else a literal without indexing (with the
 * name indexed when the static table has it).
 *
 * Strings are never Huffman-coded: a gRPC response block is a few short fields sent over
 * a local socket, where the octets saved are not worth a coding pass per string.
 *
 * `resetTable` starts the block with a size update to 0 (§6.3). Send it in the first
 * block on a connection: the peer's decoder then holds no table for us, whatever
 * SETTINGS_HEADER_TABLE_SIZE it announces, before or after.
 *
 * Names and values are latin1 strings; a char over 0xff throws a TypeError.
 */
export function encodeHeaderBlock(fields: Iterable<readonly [string, string]>, opts?: { resetTable?: boolean }): Uint8Array {
  written = 0;
  if (opts?.resetTable) writeInt(0, 5, 0x20);
  for (const [name, value] of fields) {
    if (written + 12 + name.length + value.length > scratch.length) {
      const bigger = new Uint8Array(2 * (written + 12 + name.length + value.length));
      bigger.set(scratch.subarray(0, written));
      scratch = bigger;
    }
    const known = STATIC_NAMES.get(name);
    const exact = known?.values.get(value);
    if (exact !== undefined) {
      writeInt(exact, 7, 0x80);
      continue;
    }
    if (known) writeInt(known.index, 4, 0x00);
    else {
      writeInt(0, 4, 0x00);
      writeString(name);
    }
    writeString(value);
  }
  const block = scratch.slice(0, written);
  if (scratch.length > 64 * 1024) scratch = new Uint8Array(1024); // a one-off huge block should not stay pinned
  return block;
}
