/**
 * SPDY/3.1 frames as data, and their encoding and decoding (draft 3.1, sections 2.2 and
 * 2.6). Every frame has an 8-byte header: a control frame's is
 * `1 | version(15) | type(16) | flags(8) | length(24)`, a data frame's is
 * `0 | stream-id(31) | flags(8) | length(24)`. Header blocks go through the session's
 * compressor / decompressor here, in frame order, so the zlib state of both sides stays
 * in step.
 */
import { FLAG_CLEAR_SETTINGS, FLAG_FIN, FLAG_UNIDIRECTIONAL, FRAME_HEADER_BYTES, FrameType, MAX_FRAME_LENGTH, SPDY_VERSION } from "./constants.ts";
import { SpdySessionError } from "./errors.ts";
import { HeaderBlockError, type SpdyHeaders, packHeaderBlock, unpackHeaderBlock } from "./header-block.ts";
import type { HeaderCompressor, HeaderDecompressor } from "./header-zlib.ts";

export type SettingsEntry = { id: number; value: number; flags?: number };

export type SynStreamFrame = { type: "syn_stream"; streamId: number; associatedId: number; priority: number; fin: boolean; unidirectional: boolean; headers: SpdyHeaders; headerError?: string };
export type SynReplyFrame = { type: "syn_reply"; streamId: number; fin: boolean; headers: SpdyHeaders; headerError?: string };
export type RstStreamFrame = { type: "rst_stream"; streamId: number; status: number };
export type SettingsFrame = { type: "settings"; clear: boolean; entries: SettingsEntry[] };
export type PingFrame = { type: "ping"; id: number };
export type GoAwayFrame = { type: "goaway"; lastGoodStreamId: number; status: number };
export type HeadersFrame = { type: "headers"; streamId: number; fin: boolean; headers: SpdyHeaders; headerError?: string };
export type WindowUpdateFrame = { type: "window_update"; streamId: number; delta: number };
/** A control frame type this implementation does not know (CREDENTIAL, or newer); ignored. */
export type UnknownFrame = { type: "unknown"; frameType: number };
export type DataFrame = { type: "data"; streamId: number; fin: boolean; data: Uint8Array };

export type ControlFrame = SynStreamFrame | SynReplyFrame | RstStreamFrame | SettingsFrame | PingFrame | GoAwayFrame | HeadersFrame | WindowUpdateFrame;
export type Frame = ControlFrame | DataFrame;

const ID_MASK = 0x7fff_ffff;
/** Largest header block we send, uncompressed; far below the frame limit, whatever zlib adds. */
export const MAX_HEADER_BLOCK = 1024 * 1024;

function frameBuffer(payloadBytes: number): { out: Uint8Array; view: DataView } {
  if (payloadBytes > MAX_FRAME_LENGTH) throw new RangeError(`frame payload of ${payloadBytes} bytes exceeds the 24-bit length field`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes);
  return { out, view: new DataView(out.buffer) };
}

function controlHeader(view: DataView, type: number, flags: number, length: number): void {
  view.setUint16(0, 0x8000 | SPDY_VERSION);
  view.setUint16(2, type);
  view.setUint32(4, ((flags & 0xff) << 24) | length);
}

/** A DATA frame: header and a copy of the payload in one buffer. */
export function encodeDataFrame(streamId: number, data: Uint8Array, fin: boolean): Uint8Array {
  const { out, view } = frameBuffer(data.length);
  view.setUint32(0, streamId & ID_MASK);
  view.setUint32(4, ((fin ? FLAG_FIN : 0) << 24) | data.length);
  out.set(data, FRAME_HEADER_BYTES);
  return out;
}

/** A frame whose payload is `prefix` (ids, priority) followed by the compressed header block. */
function headerFrame(type: number, flags: number, prefix: Uint8Array, headers: SpdyHeaders, compressor: HeaderCompressor): Uint8Array {
  const packed = packHeaderBlock(headers);
  // Refuse before compressing: a block compressed but never sent would put the peer's
  // decompressor out of step for the rest of the session.
  if (packed.length > MAX_HEADER_BLOCK) throw new HeaderBlockError(`header block of ${packed.length} bytes is larger than ${MAX_HEADER_BLOCK}`);
  const block = compressor.compress(packed);
  const { out, view } = frameBuffer(prefix.length + block.length);
  controlHeader(view, type, flags, prefix.length + block.length);
  out.set(prefix, FRAME_HEADER_BYTES);
  out.set(block, FRAME_HEADER_BYTES + prefix.length);
  return out;
}

/** Big-endian 32-bit words, then any extra bytes. */
function words(values: number[], extra: number[] = []): Uint8Array {
  const out = new Uint8Array(values.length * 4 + extra.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  out.set(extra, values.length * 4);
  return out;
}

/** Encodes any frame; header blocks are compressed with `compressor` (so call in wire order). */
export function encodeFrame(frame: Frame, compressor: HeaderCompressor): Uint8Array {
  switch (frame.type) {
    case "data":
      return encodeDataFrame(frame.streamId, frame.data, frame.fin);
    case "syn_stream": {
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      // stream id, associated-to id, then a byte of priority (top 3 bits) and a slot byte (0)
      const prefix = words([frame.streamId & ID_MASK, frame.associatedId & ID_MASK], [(frame.priority & 0x7) << 5, 0]);
      return headerFrame(FrameType.synStream, flags, prefix, frame.headers, compressor);
    }
    case "syn_reply":
      return headerFrame(FrameType.synReply, frame.fin ? FLAG_FIN : 0, words([frame.streamId & ID_MASK]), frame.headers, compressor);
    case "headers":
      return headerFrame(FrameType.headers, frame.fin ? FLAG_FIN : 0, words([frame.streamId & ID_MASK]), frame.headers, compressor);
    case "rst_stream":
      return fixedFrame(FrameType.rstStream, 0, [frame.streamId & ID_MASK, frame.status]);
    case "settings": {
      const values = [frame.entries.length];
      for (const e of frame.entries) values.push((((e.flags ?? 0) & 0xff) << 24) | (e.id & 0xff_ffff), e.value);
      return fixedFrame(FrameType.settings, frame.clear ? FLAG_CLEAR_SETTINGS : 0, values);
    }
    case "ping":
      return fixedFrame(FrameType.ping, 0, [frame.id]);
    case "goaway":
      return fixedFrame(FrameType.goAway, 0, [frame.lastGoodStreamId & ID_MASK, frame.status]);
    case "window_update":
      return fixedFrame(FrameType.windowUpdate, 0, [frame.streamId & ID_MASK, frame.delta & ID_MASK]);
  }
}

/** A control frame whose payload is only 32-bit words. */
function fixedFrame(type: number, flags: number, values: number[]): Uint8Array {
  const { out, view } = frameBuffer(values.length * 4);
  controlHeader(view, type, flags, values.length * 4);
  out.set(words(values), FRAME_HEADER_BYTES);
  return out;
}

const NAMES: Record<number, string> = {
  [FrameType.synStream]: "SYN_STREAM",
  [FrameType.synReply]: "SYN_REPLY",
  [FrameType.rstStream]: "RST_STREAM",
  [FrameType.settings]: "SETTINGS",
  [FrameType.ping]: "PING",
  [FrameType.goAway]: "GOAWAY",
  [FrameType.headers]: "HEADERS",
  [FrameType.windowUpdate]: "WINDOW_UPDATE",
};

function readHeaders(decompressor: HeaderDecompressor, compressed: Uint8Array): { headers: SpdyHeaders; headerError?: string } {
  const block = decompressor.decompress(compressed); // session error if it cannot be inflated
  try {
    return { headers: unpackHeaderBlock(block) };
  } catch (err) {
    if (!(err instanceof HeaderBlockError)) throw err;
    return { headers: Object.create(null), headerError: err.message };
  }
}

/**
 * Decodes a control frame's payload. Throws SpdySessionError for frames whose layout is
 * wrong (lengths, zero ids and statuses) or whose header block cannot be inflated; a
 * header block that inflates but breaks the block rules comes back as `headerError`, a
 * stream error for the session to answer.
 */
export function decodeControlFrame(type: number, flags: number, payload: Uint8Array, decompressor: HeaderDecompressor): ControlFrame | UnknownFrame {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const name = NAMES[type] ?? `control frame type ${type}`;
  const length = payload.length;
  const requireLength = (ok: boolean) => {
    if (!ok) throw new SpdySessionError(`${name} frame has length ${length}`);
  };
  const streamIdAt = (at: number, allowZero = false) => {
    const id = view.getUint32(at) & ID_MASK;
    if (id === 0 && !allowZero) throw new SpdySessionError(`${name} frame for stream 0`);
    return id;
  };
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case FrameType.synStream: {
      requireLength(length >= 10);
      const streamId = streamIdAt(0);
      const associatedId = view.getUint32(4) & ID_MASK;
      const priority = (payload[8] as number) >> 5;
      const unidirectional = (flags & FLAG_UNIDIRECTIONAL) !== 0;
      return { type: "syn_stream", streamId, associatedId, priority, fin, unidirectional, ...readHeaders(decompressor, payload.subarray(10)) };
    }
    case FrameType.synReply:
    case FrameType.headers: {
      requireLength(length >= 4);
      const streamId = streamIdAt(0);
      const t = type === FrameType.synReply ? "syn_reply" : "headers";
      return { type: t, streamId, fin, ...readHeaders(decompressor, payload.subarray(4)) };
    }
    case FrameType.rstStream: {
      requireLength(length === 8);
      const streamId = streamIdAt(0);
      const status = view.getUint32(4);
      if (status === 0) throw new SpdySessionError(`RST_STREAM for stream ${streamId} has status 0`);
      return { type: "rst_stream", streamId, status };
    }
    case FrameType.settings: {
      requireLength(length >= 4);
      const count = view.getUint32(0);
      requireLength(length === 4 + count * 8);
      const entries: SettingsEntry[] = [];
      for (let i = 0; i < count; i++) {
        const word = view.getUint32(4 + i * 8);
        entries.push({ flags: word >>> 24, id: word & 0xff_ffff, value: view.getUint32(8 + i * 8) });
      }
      return { type: "settings", clear: (flags & FLAG_CLEAR_SETTINGS) !== 0, entries };
    }
    case FrameType.ping:
      requireLength(length === 4);
      return { type: "ping", id: view.getUint32(0) };
    case FrameType.goAway:
      requireLength(length === 8);
      return { type: "goaway", lastGoodStreamId: streamIdAt(0, true), status: view.getUint32(4) };
    case FrameType.windowUpdate: {
      requireLength(length === 8);
      const streamId = streamIdAt(0, true);
      const delta = view.getUint32(4) & ID_MASK;
      if (delta === 0) throw new SpdySessionError(`WINDOW_UPDATE for stream ${streamId} has delta 0`);
      return { type: "window_update", streamId, delta };
    }
    default:
      return { type: "unknown", frameType: type };
  }
}
