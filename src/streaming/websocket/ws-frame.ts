/**
 * WebSocket framing (RFC 6455 section 5), both directions, no extensions. The parser is
 * strict because its input is a network peer's: reserved bits, unknown opcodes, fragmented
 * or long control frames, unmasked client frames (or masked server frames) and payloads
 * over the limit are protocol errors that end the connection with the matching close code.
 */
import { randomFillSync } from "node:crypto";

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes used here (RFC 6455 section 7.4.1). */
export const CLOSE = { normal: 1000, goingAway: 1001, protocolError: 1002, invalidData: 1007, tooBig: 1009, internalError: 1011 } as const;

export type Frame = { fin: boolean; opcode: number; payload: Buffer };

/** A violation by the peer; `code` is the close code to answer with. */
export class WsProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** XORs `data` with the 4-byte `key` in place, a word at a time where aligned. */
export function applyMask(data: Uint8Array, key: Uint8Array): void {
  const n = data.length;
  let i = 0;
  if (n >= 64 && data.byteOffset % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset, n >>> 2);
    const k = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    for (let w = 0; w < words.length; w++) words[w]! ^= k;
    i = words.length * 4;
  }
  for (; i < n; i++) data[i]! ^= key[i & 3]!;
}

/** One frame on the wire; a client masks with a fresh random key (section 5.3). */
export function encodeFrame(opcode: number, payload: Uint8Array, mask: boolean, fin = true): Buffer {
  const len = payload.length;
  const extra = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
  const headLen = 2 + extra + (mask ? 4 : 0);
  const out = Buffer.allocUnsafe(headLen + len);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = (mask ? 0x80 : 0) | (extra === 0 ? len : extra === 2 ? 126 : 127);
  if (extra === 2) out.writeUInt16BE(len, 2);
  else if (extra === 8) out.writeBigUInt64BE(BigInt(len), 2);
  out.set(payload, headLen);
  if (mask) {
    const key = out.subarray(2 + extra, headLen);
    randomFillSync(key);
    applyMask(out.subarray(headLen), key);
  }
  return out;
}

export type FrameParserOptions = {
  /** Whether frames must be masked: true on a server (client frames), false on a client. */
  expectMasked: boolean;
  /** Largest payload of one frame. */
  maxPayload: number;
};

/** Splits a byte stream into frames; `push` throws WsProtocolError on a violation. */
export class FrameParser {
  #buf: Buffer = Buffer.alloc(0);

  constructor(private readonly opts: FrameParserOptions) {}

  /** Bytes held for a frame that has not fully arrived. */
  get buffered(): number {
    return this.#buf.length;
  }

  push(chunk: Buffer): Frame[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const f = this.#next();
      if (!f) return frames;
      frames.push(f);
    }
  }

  #next(): Frame | undefined {
    const b = this.#buf;
    if (b.length < 2) return undefined;
    const b0 = b[0]!;
    const b1 = b[1]!;
    if (b0 & 0x70) throw new WsProtocolError(CLOSE.protocolError, "reserved bits set (no extension was negotiated)");
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    const control = opcode >= 0x8;
    if (![0x0, 0x1, 0x2, 0x8, 0x9, 0xa].includes(opcode)) throw new WsProtocolError(CLOSE.protocolError, `unknown opcode ${opcode}`);
    const masked = (b1 & 0x80) !== 0;
    if (masked !== this.opts.expectMasked) {
      throw new WsProtocolError(CLOSE.protocolError, masked ? "a server must not mask its frames" : "a client must mask its frames");
    }
    let len = b1 & 0x7f;
    let off = 2;
    if (control && (len > 125 || !fin)) throw new WsProtocolError(CLOSE.protocolError, "control frames must be short and unfragmented");
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.opts.maxPayload)) throw new WsProtocolError(CLOSE.tooBig, `frame of ${big} bytes is over the limit of ${this.opts.maxPayload}`);
      len = Number(big);
      off = 10;
    }
    if (len > this.opts.maxPayload) throw new WsProtocolError(CLOSE.tooBig, `frame of ${len} bytes is over the limit of ${this.opts.maxPayload}`);
    const keyAt = off;
    if (masked) off += 4;
    if (b.length < off + len) return undefined;
    // A copy, so unmasking never touches the caller's buffer and the frame owns its bytes.
    const payload = Buffer.from(b.subarray(off, off + len));
    if (masked) applyMask(payload, b.subarray(keyAt, keyAt + 4));
    this.#buf = b.subarray(off + len);
    return { fin, opcode, payload };
  }
}
