/**
 * The two kinds of SPDY error (draft 3.1, section 2.4): a session error ends the
 * connection with GOAWAY, a stream error ends one stream with RST_STREAM.
 */
import { GoAwayStatus, rstStatusName } from "./constants.ts";

/** The peer broke the protocol (or the connection failed): the whole session ends. */
export class SpdySessionError extends Error {
  constructor(
    message: string,
    /** The GOAWAY status to send, when there is still a peer to send it to. */
    readonly goAwayStatus: number = GoAwayStatus.protocolError,
  ) {
    super(message);
    this.name = "SpdySessionError";
  }
}

/** One stream failed: it was reset by either side, or its frames broke the protocol. */
export class SpdyStreamError extends Error {
  constructor(
    message: string,
    readonly streamId: number,
    /** The RST_STREAM status sent or received. */
    readonly status: number,
  ) {
    super(message);
    this.name = "SpdyStreamError";
  }

  /** A stream error for `streamId` whose message names the status. */
  static of(streamId: number, status: number, why: string): SpdyStreamError {
    return new SpdyStreamError(`stream ${streamId}: ${why} (${rstStatusName(status)})`, streamId, status);
  }
}
