/**
 * The receiving half of a session's DATA: which stream each frame is for (or that it is
 * dropped, and why), what it costs against the session and stream windows, and when to
 * stop reading the socket. Bytes are granted back (WINDOW_UPDATE) only as readers take
 * them. A peer that keeps our windows never has more than them in flight; one that does
 * not (Go's spdystream) is held back by TCP instead: past the session window buffered,
 * the socket is paused until readers catch up.
 *
 * Such a peer gets no WINDOW_UPDATEs either (they are owed, and paid if it ever shows
 * it keeps windows). Not only are they useless to it: spdystream closes its socket
 * without reading what is left in it, so a WINDOW_UPDATE that arrives after it finished
 * makes its kernel answer with a TCP RST, and ours then throws away whatever of the
 * peer's last data we had not read yet (seen with containerd: an exec's output cut).
 */
import type { Duplex } from "node:stream";
import { RstStatus } from "./constants.ts";
import { SpdySessionError } from "./errors.ts";
import type { RecvWindow } from "../../flow-window.ts";
import type { SessionCore } from "./session-core.ts";
import type { SpdyStreamImpl } from "./stream.ts";

export class InboundData {
  /** Where the current DATA frame's bytes go; undefined between frames. */
  private target: SpdyStreamImpl | "drop" | undefined;
  private fin = false;
  /** Bytes queued in streams for their readers, all streams together. */
  private buffered = 0;
  private paused = false;

  constructor(
    private readonly session: SessionCore,
    private readonly conn: Duplex,
    private readonly limit: number,
  ) {}

  start(id: number, length: number, fin: boolean): void {
    const session = this.session;
    this.fin = fin;
    this.target = "drop";
    // Every DATA byte counts against the session window, even those dropped (2.6.8).
    if (!session.recvWindow.receive(length) && session.peerFlowControl) {
      throw new SpdySessionError(`peer sent ${length} bytes on stream ${id}, past the session window`);
    }
    const s = session.streams.get(id);
    if (!s) {
      if (session.streams.neverOpened(id)) throw new SpdySessionError(`DATA for stream ${id}, which was never opened`);
      if (!session.streams.wasReset(id)) session.streamError(id, RstStatus.invalidStream, "DATA for a closed stream");
      return;
    }
    if (s.ours && !s.replied) return session.streamError(id, RstStatus.protocolError, "DATA before SYN_REPLY");
    if (s.remoteDone) return session.streamError(id, RstStatus.streamAlreadyClosed, "DATA after FIN");
    if (!s.recvWindow.receive(length) && session.peerFlowControl) return session.streamError(id, RstStatus.flowControlError, "DATA past the stream window");
    this.target = s;
  }

  piece(bytes: Uint8Array): void {
    const s = this.target;
    if (s === undefined || s === "drop" || s.failure) {
      this.grantSession(bytes.length);
      return;
    }
    this.buffered += bytes.length;
    s.push(bytes);
    if (!this.paused && this.buffered > this.limit) {
      this.paused = true;
      this.conn.pause();
    }
  }

  end(): void {
    const s = this.target;
    this.target = undefined;
    if (s !== undefined && s !== "drop" && this.fin && !s.failure) s.remoteFinish();
  }

  /** A reader took (or a stream dropped) `n` of its buffered bytes. */
  taken(s: SpdyStreamImpl, n: number): void {
    this.buffered -= n;
    this.grant(s, s.recvWindow.take(n));
    this.grantSession(n);
    if (this.paused && this.buffered <= this.limit) this.release();
  }

  /** The peer has just shown it keeps windows: pay what it is owed. */
  payOwed(): void {
    for (const s of this.session.streams.byId.values()) this.grant(s, 0);
    this.grantSession(0);
  }

  /** Reads on (the session is ending, or readers caught up). */
  release(): void {
    if (!this.paused) return;
    this.paused = false;
    this.conn.resume();
  }

  private grant(s: SpdyStreamImpl, delta: number): void {
    if (s.remoteDone || s.failure) return; // no more DATA will come: nothing to make room for
    this.send(s.id, s.recvWindow, delta);
  }

  private grantSession(n: number): void {
    this.send(0, this.session.recvWindow, this.session.recvWindow.take(n));
  }

  private send(streamId: number, w: RecvWindow, delta: number): void {
    w.owed += delta;
    if (w.owed === 0 || !this.session.peerFlowControl) return;
    this.session.send({ type: "window_update", streamId, delta: w.owed });
    w.owed = 0;
  }
}
