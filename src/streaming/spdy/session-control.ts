/**
 * What a session does with each control frame the peer sends (draft 3.1, section 2.6).
 * Breaking a rule that leaves the session unusable is a session error (thrown); one
 * that concerns one stream is a stream error (RST_STREAM).
 */
import { MAX_WINDOW, RstStatus, SettingsId } from "./constants.ts";
import { SpdySessionError, SpdyStreamError } from "./errors.ts";
import type { ControlFrame, HeadersFrame, SettingsFrame, SynReplyFrame, SynStreamFrame } from "./frames.ts";
import type { SessionCore } from "./session-core.ts";

export function handleControlFrame(session: SessionCore, frame: ControlFrame): void {
  switch (frame.type) {
    case "syn_stream":
      return onSynStream(session, frame);
    case "syn_reply":
      return onSynReply(session, frame);
    case "headers":
      return onHeaders(session, frame);
    case "rst_stream":
      // Never answered with a RST of our own (2.4.2); unknown ids are a race, not an error.
      session.streams.get(frame.streamId)?.fail(SpdyStreamError.of(frame.streamId, frame.status, "reset by peer"));
      return;
    case "settings":
      return onSettings(session, frame);
    case "ping":
      if (!session.pings.ours(frame.id)) session.send(frame);
      else session.pings.echoed(frame.id);
      return;
    case "goaway":
      return session.onGoAway(frame.lastGoodStreamId, frame.status);
    case "window_update": {
      session.peerKeepsWindows();
      if (frame.streamId === 0) {
        if (!session.sendWindow.grow(frame.delta)) throw new SpdySessionError(`WINDOW_UPDATE takes the session window past ${MAX_WINDOW}`);
      } else {
        const s = session.streams.get(frame.streamId);
        if (s && !s.sendWindow.grow(frame.delta)) session.streamError(s.id, RstStatus.flowControlError, `WINDOW_UPDATE takes the window past ${MAX_WINDOW}`);
      }
      session.changed.notify();
      return;
    }
  }
}

function onSynStream(session: SessionCore, f: SynStreamFrame): void {
  const peerParity = session.role === "server" ? 1 : 0;
  if (f.streamId % 2 !== peerParity) throw new SpdySessionError(`peer opened stream ${f.streamId}, an id of ours`);
  const last = session.streams.lastPeerId;
  if (f.streamId <= last) {
    throw new SpdySessionError(f.streamId === last || session.streams.get(f.streamId) ? `duplicate SYN_STREAM for stream ${f.streamId}` : `SYN_STREAM for stream ${f.streamId} after stream ${last}`);
  }
  session.streams.lastPeerId = f.streamId;
  if (f.headerError) return session.streamError(f.streamId, RstStatus.protocolError, f.headerError);
  session.acceptStream(f.streamId, f.headers, f.fin, f.unidirectional);
}

function onSynReply(session: SessionCore, f: SynReplyFrame): void {
  const s = session.streams.get(f.streamId);
  if (!s) {
    if (session.streams.neverOpened(f.streamId)) throw new SpdySessionError(`SYN_REPLY for stream ${f.streamId}, which was never opened`);
    return; // we reset it meanwhile
  }
  if (!s.ours) return session.streamError(s.id, RstStatus.protocolError, "SYN_REPLY for a stream the peer opened");
  if (s.replied) return session.streamError(s.id, RstStatus.streamInUse, "second SYN_REPLY");
  if (f.headerError) return session.streamError(s.id, RstStatus.protocolError, f.headerError);
  session.streams.replied(s);
  if (f.fin) s.remoteFinish();
}

function onHeaders(session: SessionCore, f: HeadersFrame): void {
  const s = session.streams.get(f.streamId);
  if (!s) {
    if (session.streams.neverOpened(f.streamId)) throw new SpdySessionError(`HEADERS for stream ${f.streamId}, which was never opened`);
    return;
  }
  if (f.headerError) return session.streamError(s.id, RstStatus.protocolError, f.headerError);
  if (s.remoteDone) return session.streamError(s.id, RstStatus.streamAlreadyClosed, "HEADERS after FIN");
  // Extra headers mean nothing to remotecommand or port-forward; only their FIN counts.
  if (f.fin) s.remoteFinish();
}

function onSettings(session: SessionCore, f: SettingsFrame): void {
  const seen = new Set<number>();
  for (const { id, value } of f.entries) {
    if (seen.has(id)) continue; // only the first value of an id counts (2.6.4)
    seen.add(id);
    if (id === SettingsId.initialWindowSize) {
      if (value > MAX_WINDOW) throw new SpdySessionError(`SETTINGS_INITIAL_WINDOW_SIZE of ${value} is past ${MAX_WINDOW}`);
      const delta = value - session.peerInitialWindow;
      session.peerInitialWindow = value;
      session.peerKeepsWindows();
      // Windows of open streams move by the change, and may go negative (2.6.8).
      for (const s of session.streams.byId.values()) s.sendWindow.size += delta;
    } else if (id === SettingsId.maxConcurrentStreams) {
      session.peerMaxConcurrent = value;
    }
  }
  session.changed.notify();
}
