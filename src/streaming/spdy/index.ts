/**
 * SPDY/3.1 (https://www.chromium.org/spdy/spdy-protocol/spdy-protocol-draft3-1/) for
 * the streaming server (kubelet → skiff) and for skiff's exec/attach/port-forward
 * clients (skiff → any CRI runtime's streaming URL).
 *
 * Every Kubernetes peer speaks it through Go's github.com/moby/spdystream, whose habits
 * shape this implementation:
 * - spdystream does no SPDY flow control: it never sends SETTINGS or WINDOW_UPDATE,
 *   ignores ours, and writes one DATA frame per Write (32 KiB with io.Copy). Its only
 *   back-pressure is TCP: its reader blocks while a stream's consumer is slow. So we
 *   obey the peer's windows only once it has shown it keeps them (a WINDOW_UPDATE, or
 *   SETTINGS_INITIAL_WINDOW_SIZE), as skiff's own peers do from their first frame;
 *   until then our writers are paced by the socket alone, and it gets no WINDOW_UPDATE
 *   from us (a late one would hit its closed socket and the TCP RST that answers it
 *   would throw away data we had not read yet). When a peer sends past our windows, one
 *   that keeps windows gets FLOW_CONTROL_ERROR, one that does not is held back by no
 *   longer reading the socket, so memory stays bounded either way.
 * - spdystream drops DATA that arrives for a stream before it sent its SYN_REPLY, so a
 *   stream the peer opened gets its SYN_REPLY before our first DATA (write and end send
 *   it if `reply` was not called).
 * - On GOAWAY spdystream stops reading. Our `close` therefore waits for the streams to
 *   end, refusing new ones meanwhile, and only then sends GOAWAY and closes.
 * - client-go reads the 101 response through a buffer it then throws away, so a server
 *   session sends nothing (not even SETTINGS) until the client's first frame arrives.
 * - Kubernetes ends a connection by resetting every stream (RST_STREAM CANCEL), then
 *   GOAWAY: a reader sees the data that had arrived, then the reset as an error.
 */
import type { Duplex } from "node:stream";
import { SpdySessionImpl } from "./session.ts";
import type { SpdySession, SpdySessionOptions } from "./types.ts";

export { FrameType, GoAwayStatus, RstStatus, SettingsId, rstStatusName } from "./constants.ts";
export { SpdySessionError, SpdyStreamError } from "./errors.ts";
export type { SpdyHeaders, SpdySession, SpdySessionOptions, SpdyStream } from "./types.ts";
export {
  ACCEPTED_PROTOCOLS_HEADER,
  PROTOCOL_HEADER,
  SPDY_UPGRADE,
  type SpdyUpgradeRequest,
  type UpgradeResponse,
  negotiate,
  parseUpgradeResponse,
  spdyNegotiationFailedResponse,
  spdyUpgradeRequest,
  spdyUpgradeResponse,
  splitHttpHead,
} from "./upgrade.ts";

/**
 * Starts a SPDY session on `conn`, the upgraded socket (node:net / node:tls Socket or
 * any Duplex); bytes read past the HTTP headers are given as `head`.
 */
export function createSpdySession(conn: Duplex, role: "client" | "server", opts?: SpdySessionOptions, head?: Uint8Array): SpdySession {
  return new SpdySessionImpl(conn, role, opts, head);
}
