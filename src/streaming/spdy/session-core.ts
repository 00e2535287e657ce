/**
 * What the frame handlers (session-control.ts, session-data.ts) use of a session, as an
 * interface of its own, so they depend on it and not on the session class that calls them.
 */
import type { RecvWindow, SendWindow } from "../../flow-window.ts";
import type { Signal } from "./signal.ts";
import type { ControlFrame } from "./frames.ts";
import type { SpdyHeaders } from "./header-block.ts";
import type { Pings } from "./pings.ts";
import type { StreamTable } from "./stream-table.ts";

export interface SessionCore {
  readonly role: "client" | "server";
  readonly streams: StreamTable;
  readonly pings: Pings;
  /** Whether the peer has shown that it keeps SPDY/3.1 windows (SETTINGS or WINDOW_UPDATE). */
  peerFlowControl: boolean;
  peerInitialWindow: number;
  peerMaxConcurrent: number;
  readonly sendWindow: SendWindow;
  readonly recvWindow: RecvWindow;
  /** Notified whenever windows, stream counts or the session's state change. */
  readonly changed: Signal;
  send(frame: ControlFrame): void;
  peerKeepsWindows(): void;
  acceptStream(id: number, headers: SpdyHeaders, fin: boolean, unidirectional: boolean): void;
  onGoAway(lastGoodStreamId: number, status: number): void;
  streamError(id: number, status: number, why: string): void;
}
