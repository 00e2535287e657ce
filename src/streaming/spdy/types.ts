/**
 * The SPDY/3.1 API the streaming server and clients are written against. Header names
 * are lowercase on the wire (SPDY/3 requires it): Kubernetes' `streamType` header
 * arrives as `streamtype`.
 */
import type { SpdyHeaders } from "./header-block.ts";

export type { SpdyHeaders };

export interface SpdyStream {
  readonly id: number;
  /** From the SYN_STREAM (for streams we opened: what we sent, names lowercased). */
  readonly headers: SpdyHeaders;
  /**
   * The peer's data; ends at its FIN; errors on RST_STREAM or session loss (after what
   * had already arrived has been read). Window is granted back only as this is read.
   */
  readonly readable: ReadableStream<Uint8Array>;
  /** Resolves once the bytes are handed to the connection within the peer's windows. */
  write(chunk: Uint8Array): Promise<void>;
  /** Half-close (FIN) our side, after earlier writes. Resolves at once if already done. */
  end(): Promise<void>;
  /** RST_STREAM (default CANCEL) and drop the stream; unread data is discarded. */
  reset(status?: number): void;
  /**
   * Answer the peer's SYN_STREAM (SYN_REPLY); the peer's `open` waits for it, so accept
   * a stream with this before waiting for its data. A first write/end sends it too.
   */
  reply(headers?: SpdyHeaders): void;
  /** Settles (never rejects) when both sides are closed or the stream was reset. */
  readonly closed: Promise<void>;
  /** Bytes received and not yet read from `readable`. */
  readonly buffered: number;
}

export interface SpdySession {
  /** Streams the peer opens. Streams that arrive before a handler is set wait for it. */
  onStream(handler: (s: SpdyStream) => void): void;
  /** Opens a stream (SYN_STREAM) and resolves on the peer's SYN_REPLY. */
  open(headers: SpdyHeaders, opts?: { fin?: boolean }): Promise<SpdyStream>;
  /** Round trip in ms. */
  ping(timeoutMs?: number): Promise<number>;
  /** Refuse new streams, then GOAWAY and close once open streams end (or at once with `force`). */
  close(opts?: { force?: boolean }): Promise<void>;
  /** Settles when the connection is gone; the error is why, if it was not a clean close. */
  readonly closed: Promise<Error | undefined>;
  /** Streams open now (for leak checks). */
  readonly streamCount: number;
}

export type SpdySessionOptions = {
  /** Largest control frame accepted (default 1 MiB). DATA frames of any size are streamed, never collected. */
  maxFrameBytes?: number;
  /** Receive window we advertise per stream (SETTINGS_INITIAL_WINDOW_SIZE; default 256 KiB, at least 64 KiB). */
  initialWindowBytes?: number;
  /**
   * Receive window for the whole session (default 4 MiB). Also what we buffer at most for a
   * peer that ignores windows before we stop reading the socket (plus the rest of that read).
   */
  sessionWindowBytes?: number;
  /** Streams the peer may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS; default 1000); more are refused. */
  maxConcurrentStreams?: number;
  /** Largest header block after inflating (default 256 KiB); more ends the session. */
  maxHeaderBytes?: number;
  /** Close the session (GOAWAY) after this long with no frame either way; 0 (default) never. */
  idleTimeoutMs?: number;
  log?: { debug(...a: unknown[]): void };
};
