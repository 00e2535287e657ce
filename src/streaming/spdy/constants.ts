/**
 * SPDY/3.1 numbers: frame types, flags, status codes and settings ids, as the draft
 * defines them (https://www.chromium.org/spdy/spdy-protocol/spdy-protocol-draft3-1/).
 * The wire version field says 3 for SPDY/3.1 too.
 */

export const SPDY_VERSION = 3;

/** Control frame types (section 2.6). CREDENTIAL (10) is deprecated and ignored. */
export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS. */
export const FLAG_FIN = 0x01;
/** FLAG_UNIDIRECTIONAL on SYN_STREAM: the recipient may not send on the stream. */
export const FLAG_UNIDIRECTIONAL = 0x02;
/** FLAG_SETTINGS_CLEAR_SETTINGS on SETTINGS. */
export const FLAG_CLEAR_SETTINGS = 0x01;

/** RST_STREAM status codes (section 2.6.3); 0 is not valid. */
export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  unsupportedVersion: 4,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
  streamInUse: 8,
  streamAlreadyClosed: 9,
  frameTooLarge: 11,
} as const;

/** GOAWAY status codes (section 2.6.6). */
export const GoAwayStatus = { ok: 0, protocolError: 1, internalError: 2 } as const;

/** SETTINGS ids (section 2.6.4) that skiff reads or sends. */
export const SettingsId = {
  maxConcurrentStreams: 4,
  initialWindowSize: 7,
} as const;

/** Every stream and the session start with this window until told otherwise (2.6.8). */
export const DEFAULT_WINDOW = 65_536;
/** No flow-control window may exceed 2^31 - 1 bytes (shared with HTTP/2). */
export { MAX_WINDOW } from "../../flow-window.ts";
/** Stream ids and ping ids are 31-bit. */
export const MAX_STREAM_ID = 0x7fff_ffff;
/** The 24-bit length field's ceiling. */
export const MAX_FRAME_LENGTH = 0xff_ffff;
/** Every frame starts with 8 bytes of header. */
export const FRAME_HEADER_BYTES = 8;

/** The name of a RST_STREAM status, for messages. */
export function rstStatusName(status: number): string {
  for (const [name, code] of Object.entries(RstStatus)) if (code === status) return name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  return `status ${status}`;
}
