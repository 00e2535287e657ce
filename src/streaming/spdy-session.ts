/**
 * The SPDY/3.1 session as the streaming server and clients use it: the `./spdy/` module's
 * types, and the shape of its factory, which the server takes as a parameter so tests can
 * hand it one.
 */
import type { Duplex } from "node:stream";
import type { SpdySession, SpdySessionOptions } from "./spdy/index.ts";

export type { SpdyHeaders, SpdySession, SpdyStream } from "./spdy/index.ts";
/** RST_STREAM status codes (SPDY/3.1 section 2.6.3). */
export { RstStatus as RST } from "./spdy/index.ts";

export type CreateSpdySession = (conn: Duplex, role: "client" | "server", opts?: SpdySessionOptions, head?: Uint8Array) => SpdySession;
