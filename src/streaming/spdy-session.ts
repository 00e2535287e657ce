/**
 * The SPDY/3.1 session as the streaming server uses it. The framing, header compression
 * and flow control live in `./spdy/` (its own module); this is the shape the protocol
 * layers here are written against, so they can be tested over an in-memory session too.
 */
import type { Duplex } from "node:stream";

/** Header names are lowercase, as SPDY/3 sends them. */
export type SpdyHeaders = Record<string, string>;

export interface SpdyStream {
  readonly id: number;
  readonly headers: SpdyHeaders;
  /** The peer's data; ends at its FIN, errors on RST_STREAM. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Resolves once the bytes fit in the peer's flow-control window. */
  write(chunk: Uint8Array): Promise<void>;
  /** FIN: no more data from this side. */
  end(): Promise<void>;
  /** RST_STREAM. */
  reset(status?: number): void;
  /** Server side: SYN_REPLY, accepting the stream. */
  reply(headers?: SpdyHeaders): void;
  readonly closed: Promise<void>;
}

export interface SpdySession {
  onStream(handler: (s: SpdyStream) => void): void;
  open(headers: SpdyHeaders, opts?: { fin?: boolean }): Promise<SpdyStream>;
  ping(timeoutMs?: number): Promise<number>;
  close(opts?: { force?: boolean }): Promise<void>;
  /** Resolves when the session ended: undefined after a clean close, else why. */
  readonly closed: Promise<Error | undefined>;
}

export type CreateSpdySession = (conn: Duplex, role: "client" | "server", opts?: Record<string, unknown>, head?: Uint8Array) => SpdySession;

/** RST_STREAM status codes (SPDY/3.1 section 2.6.3). */
export const RST = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6 } as const;
