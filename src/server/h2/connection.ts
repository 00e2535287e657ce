/**
 * The server side of one HTTP/2 connection (RFC 9113), as much of it as a gRPC server
 * needs: requests come as HEADERS (+ CONTINUATION) and DATA, responses go back as
 * HEADERS, DATA and trailing HEADERS, under both sides' flow control. No push, no
 * priorities (PRIORITY frames are read and ignored), h2c with prior knowledge only.
 *
 * Bytes come in through `receive` and go out through a Transport (listen.ts). What
 * is sent in one turn of the event loop goes out in one write. Response data is framed
 * only while the transport keeps up, so a peer that does not read leaves its responses
 * queued on their streams, where call-limits.ts can see and bound them.
 *
 * Defences against a peer that means harm: a bound on concurrent streams (a stream whose
 * handler still runs after the peer reset it keeps its slot), on a header block's size
 * before and after decompression, on what the peer's own frames made us owe while it reads
 * nothing (a PING or SETTINGS flood, requests refused one after another), and on the time
 * to send the preface.
 */
import { ConnectionError, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, ErrorCode, Flag, FRAME_HEADER, FrameType, PREFACE, Setting, StreamError, frame, wordsFrame } from "./frames.ts";
import { MAX_WINDOW, RecvWindow, SendWindow } from "../../flow-window.ts";
import { HpackDecoder, HpackError, encodeHeaderBlock } from "./hpack.ts";
import { checkRequestFields } from "./request-fields.ts";
import { type Fields, H2Stream, type StreamOwner } from "./stream.ts";

/** Where a connection's bytes go. */
export interface Transport {
  /**
   * Takes `bytes` (all of them: what it cannot send now it keeps, in order). False: it
   * holds enough unsent that the connection should stop until `writable()`.
   */
  write(bytes: Uint8Array): boolean;
  /** Closes once what it took is out. */
  end(): void;
  /** Closes now. */
  destroy(): void;
}

export type ConnectionOptions = {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams past it are refused (REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: a request with more gets HTTP 431. */
  maxHeaderListSize: number;
  /** How much of a request body the peer may send ahead of the handler, per stream and per connection. */
  window: number;
  /** A new request stream, for the handler. */
  onStream(stream: H2Stream): void;
  /**
   * The socket is gone (after GOAWAY, an error or the peer going away). Not before: a
   * connection that failed still holds its socket until the peer reads the GOAWAY or the
   * transport gives up on it (listen.ts), and counts until then.
   */
  onClose?(): void;
  /** Protocol errors, for the debug log. */
  log?(line: string): void;
};

/** Queued frames a peer that does not read may leave us holding before its connection is dropped. */
const MAX_UNREAD_BACKLOG = 1024 * 1024;
/** Frames gathered into one write before it goes out. */
const WRITE_BATCH = 64 * 1024;
const PREFACE_TIMEOUT_MS = 10_000;

export class H2Connection implements StreamOwner {
  private readonly streams = new Map<number, H2Stream>();
  /** Streams holding a concurrent-stream slot: open, or closed while their handler runs. */
  private busy = 0;
  private lastStreamId = 0;
  private readonly decoder: HpackDecoder;

  // input
  private pending: Buffer | undefined;
  private prefaceSeen = false;
  private settingsSeen = false;
  private headerBlock: { streamId: number; endStream: boolean; parts: Buffer[]; size: number } | undefined;
  private readonly recvWindow: RecvWindow;

  // output
  private out: Uint8Array[] = [];
  private outBytes = 0;
  private blocked = false;
  private flushQueued = false;
  private readonly sending = new Set<H2Stream>();
  private readonly sendWindow = new SendWindow(DEFAULT_WINDOW);
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private firstHeaderBlock = true;

  private goingAway = false;
  private done = false;
  private gone = false;
  private prefaceTimer: Timer | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly opts: ConnectionOptions,
  ) {
    this.decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: opts.maxHeaderListSize });
    this.recvWindow = new RecvWindow(opts.window);
    const settings = Buffer.allocUnsafe(18);
    [
      [Setting.MAX_CONCURRENT_STREAMS, opts.maxConcurrentStreams],
      [Setting.INITIAL_WINDOW_SIZE, opts.window],
      [Setting.MAX_HEADER_LIST_SIZE, opts.maxHeaderListSize],
    ].forEach(([id, value], i) => {
      settings.writeUInt16BE(id!, 6 * i);
      settings.writeUInt32BE(value!, 6 * i + 2);
    });
    this.queue(frame(FrameType.SETTINGS, 0, 0, settings));
    if (opts.window > DEFAULT_WINDOW) this.queue(wordsFrame(FrameType.WINDOW_UPDATE, 0, opts.window - DEFAULT_WINDOW));
    this.prefaceTimer = setTimeout(() => this.fail(new ConnectionError(ErrorCode.PROTOCOL_ERROR, "no HTTP/2 preface in time")), PREFACE_TIMEOUT_MS);
    this.prefaceTimer.unref?.();
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.streams.size;
  }

  get closed(): boolean {
    return this.done;
  }

  // ---- transport events

  /** Bytes from the peer. */
  receive(chunk: Uint8Array): void {
    if (this.done) return;
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pending = undefined;
    try {
      let at = 0;
      if (!this.prefaceSeen) {
        const n = Math.min(buf.byteLength, PREFACE.byteLength);
        if (!buf.subarray(0, n).equals(PREFACE.subarray(0, n))) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "not an HTTP/2 connection preface");
        if (n < PREFACE.byteLength) {
          this.pending = Buffer.from(buf);
          return;
        }
        this.prefaceSeen = true;
        clearTimeout(this.prefaceTimer);
        at = PREFACE.byteLength;
      }
      while (!this.done && buf.byteLength - at >= FRAME_HEADER) {
        // Every frame may make us owe the peer one (a PING's ack, a refusal): a peer that
        // keeps sending while it reads nothing is dropped once a MiB of them waits.
        if (this.blocked && this.outBytes > MAX_UNREAD_BACKLOG) {
          this.opts.log?.("http2: dropped a connection that keeps sending while not reading what it caused");
          return this.destroy();
        }
        const length = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
        if (length > DEFAULT_MAX_FRAME) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `a ${length}-byte frame is over SETTINGS_MAX_FRAME_SIZE`);
        if (buf.byteLength - at < FRAME_HEADER + length) break;
        const type = buf[at + 3]!;
        const flags = buf[at + 4]!;
        const streamId = buf.readUInt32BE(at + 5) & 0x7fffffff;
        // A view of the input: what outlives this call (a body piece, part of a header block) is copied where it is kept.
        const payload = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
        at += FRAME_HEADER + length;
        try {
          this.onFrame(type, flags, streamId, payload);
        } catch (err) {
          if (!(err instanceof StreamError)) throw err;
          this.opts.log?.(`http2 stream ${err.streamId}: ${err.message}`);
          const stream = this.streams.get(err.streamId);
          if (stream) this.resetStream(stream, err.code);
          else this.queue(wordsFrame(FrameType.RST_STREAM, err.streamId, err.code));
        }
      }
      if (at < buf.byteLength && !this.done) this.pending = Buffer.from(buf.subarray(at));
    } catch (err) {
      this.fail(err);
    }
  }

  /** The transport can take more. */
  writable(): void {
    this.blocked = false;
    this.flush();
  }

  /** The transport closed, under us or after we ended it. */
  transportClosed(): void {
    this.finish(ErrorCode.CANCEL);
    this.socketGone();
  }

  // ---- shutdown

  /** GOAWAY: no new streams; the connection closes once the open ones are done. */
  close(): void {
    if (this.done || this.goingAway) return;
    this.goingAway = true;
    this.queue(wordsFrame(FrameType.GOAWAY, 0, this.lastStreamId, ErrorCode.NO_ERROR));
    this.closeIfIdle();
  }

  /** Closes now, streams and all. */
  destroy(): void {
    this.finish(ErrorCode.CANCEL);
    this.transport.destroy();
    this.socketGone();
  }

  private socketGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.opts.onClose?.();
  }

  // ---- frames in

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.headerBlock && type !== FrameType.CONTINUATION) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a header block was cut by another frame");
    if (!this.settingsSeen) {
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "the first frame was not SETTINGS");
      this.settingsSeen = true;
    }
    switch (type) {
      case FrameType.DATA:
        return this.onData(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.onHeaders(flags, streamId, payload);
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, streamId, payload);
      case FrameType.PRIORITY:
        if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (payload.byteLength !== 5) throw new StreamError(streamId, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY of the wrong size");
        return;
      case FrameType.RST_STREAM:
        return this.onReset(streamId, payload);
      case FrameType.SETTINGS:
        return this.onSettings(flags, streamId, payload);
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a client sent PUSH_PROMISE");
      case FrameType.PING:
        if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (payload.byteLength !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING of the wrong size");
        if ((flags & Flag.ACK) === 0) this.queue(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.GOAWAY:
        if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (payload.byteLength < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY too short");
        // The peer opens nothing more; what it opened is answered, then the connection ends.
        this.goingAway = true;
        return this.closeIfIdle();
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, payload);
      default:
        return; // unknown frame types are ignored (RFC 9113 §4.1)
    }
  }

  /** A padded frame's content (RFC 9113 §6.1): the pad length byte and padding cut off. */
  private unpad(flags: number, payload: Buffer): Buffer {
    if ((flags & Flag.PADDED) === 0) return payload;
    if (payload.byteLength < 1 || payload[0]! >= payload.byteLength) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "padding longer than the frame");
    return payload.subarray(1, payload.byteLength - payload[0]!);
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    if (streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on a stream not opened");
    if (!this.recvWindow.receive(payload.byteLength)) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA past the connection's window");
    const content = this.unpad(flags, payload);
    const stream = this.streams.get(streamId);
    if (!stream || stream.remoteEnded) {
      // A stream we closed (the peer may not know yet) or one the peer already ended.
      this.creditConnection(payload.byteLength);
      if (stream) throw new StreamError(streamId, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM");
      return;
    }
    if (!stream.recvWindow.receive(payload.byteLength)) {
      this.creditConnection(payload.byteLength);
      throw new StreamError(streamId, ErrorCode.FLOW_CONTROL_ERROR, "DATA past the stream's window");
    }
    // Padding is not the handler's to take, nor a body the response no longer waits for: credit them now.
    const dropped = stream.localDone ? payload.byteLength : payload.byteLength - content.byteLength;
    if (dropped > 0) this.credit(stream, dropped);
    if (content.byteLength > 0 && !stream.localDone) stream.received(content);
    if ((flags & Flag.END_STREAM) !== 0) this.remoteEnd(stream);
  }

  private onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || streamId % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, which a client cannot open`);
    let block = this.unpad(flags, payload);
    if ((flags & Flag.PRIORITY) !== 0) {
      if (block.byteLength < 5) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "HEADERS too short for its priority");
      block = block.subarray(5);
    }
    this.headerBlock = { streamId, endStream: (flags & Flag.END_STREAM) !== 0, parts: [Buffer.from(block)], size: block.byteLength };
    this.checkBlockSize();
    if ((flags & Flag.END_HEADERS) !== 0) this.onHeaderBlock();
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const hb = this.headerBlock;
    if (!hb || hb.streamId !== streamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS before it");
    if (payload.byteLength > 0) hb.parts.push(Buffer.from(payload));
    hb.size += FRAME_HEADER + payload.byteLength;
    this.checkBlockSize();
    if ((flags & Flag.END_HEADERS) !== 0) this.onHeaderBlock();
  }

  /** A compressed block four times the list size we accept is a flood, not a request. */
  private checkBlockSize(): void {
    if (this.headerBlock!.size > 4 * this.opts.maxHeaderListSize) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "a header block past any size we accept");
  }

  private onHeaderBlock(): void {
    const { streamId, endStream, parts } = this.headerBlock!;
    this.headerBlock = undefined;
    let decoded: { fields: [string, string][]; tooLarge: boolean };
    try {
      // Every block is decoded, even one for a stream we refuse: the peer's encoder table moves on with it.
      decoded = this.decoder.decode(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    } catch (err) {
      if (err instanceof HpackError) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, `header block: ${err.message}`);
      throw err;
    }
    const existing = this.streams.get(streamId);
    if (existing) {
      // Trailers of a request: they end it; their content means nothing to gRPC.
      if (!endStream || existing.remoteEnded) throw new StreamError(streamId, ErrorCode.PROTOCOL_ERROR, "HEADERS in the middle of a request");
      return this.remoteEnd(existing);
    }
    if (streamId <= this.lastStreamId) return; // a stream already closed: nothing to do
    this.lastStreamId = streamId;
    if (this.goingAway) throw new StreamError(streamId, ErrorCode.REFUSED_STREAM, "the connection is going away");
    if (this.busy >= this.opts.maxConcurrentStreams) throw new StreamError(streamId, ErrorCode.REFUSED_STREAM, `over ${this.opts.maxConcurrentStreams} concurrent streams`);
    if (decoded.tooLarge) {
      this.queueHeaders(streamId, [[":status", "431"]], true);
      if (!endStream) this.queue(wordsFrame(FrameType.RST_STREAM, streamId, ErrorCode.NO_ERROR));
      return;
    }
    const problem = checkRequestFields(decoded.fields);
    if (problem) throw new StreamError(streamId, ErrorCode.PROTOCOL_ERROR, problem);
    const headers = new Map<string, string>();
    for (const [name, value] of decoded.fields) {
      const before = headers.get(name);
      headers.set(name, before === undefined ? value : `${before}${name === "cookie" ? "; " : ", "}${value}`);
    }
    const stream = new H2Stream(this, streamId, headers, endStream, this.peerInitialWindow, this.opts.window);
    this.streams.set(streamId, stream);
    this.busy++;
    this.opts.onStream(stream);
  }

  private onReset(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.byteLength !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
    if (streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on a stream not opened");
    const stream = this.streams.get(streamId);
    if (stream) this.closeStream(stream, payload.readUInt32BE(0) || ErrorCode.CANCEL);
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if ((flags & Flag.ACK) !== 0) {
      if (payload.byteLength !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "a SETTINGS ack with a payload");
      return;
    }
    if (payload.byteLength % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS of the wrong size");
    for (let at = 0; at < payload.byteLength; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === Setting.ENABLE_PUSH && value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH not 0 or 1");
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1");
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) {
          if (!s.sendWindow.grow(delta)) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "a stream's window over 2^31-1");
          if (delta > 0 && (s.outBytes > 0 || s.localEnding)) this.sending.add(s);
        }
      }
      if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 0xffffff) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE out of range");
        this.peerMaxFrame = value;
      }
      // HEADER_TABLE_SIZE needs nothing: our encoder never uses the dynamic table.
    }
    this.queue(frame(FrameType.SETTINGS, Flag.ACK, 0));
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.byteLength !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a WINDOW_UPDATE of 0");
      if (!this.sendWindow.grow(increment)) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "the connection's window over 2^31-1");
      return this.scheduleFlush();
    }
    if (streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on a stream not opened");
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (increment === 0) throw new StreamError(streamId, ErrorCode.PROTOCOL_ERROR, "a WINDOW_UPDATE of 0");
    if (!stream.sendWindow.grow(increment)) throw new StreamError(streamId, ErrorCode.FLOW_CONTROL_ERROR, "the stream's window over 2^31-1");
    if (stream.outBytes > 0 || stream.localEnding) this.wantsToSend(stream);
  }

  private remoteEnd(stream: H2Stream): void {
    stream.remoteEnd();
    if (stream.localDone) this.closeStream(stream, ErrorCode.NO_ERROR);
  }

  // ---- StreamOwner

  sendHeaders(stream: H2Stream, fields: Fields, endStream: boolean): void {
    this.queueHeaders(stream.id, fields, endStream);
    if (endStream) this.localDone(stream);
  }

  wantsToSend(stream: H2Stream): void {
    this.sending.add(stream);
    this.scheduleFlush();
  }

  resetStream(stream: H2Stream, code: number): void {
    if (stream.closed) return;
    this.queue(wordsFrame(FrameType.RST_STREAM, stream.id, code));
    this.closeStream(stream, code);
  }

  credit(stream: H2Stream, n: number): void {
    if (!stream.closed && !stream.remoteEnded) {
      // The stream is topped up once half its window is used, not chunk by chunk.
      const grant = stream.recvWindow.take(n);
      if (grant > 0) this.queue(wordsFrame(FrameType.WINDOW_UPDATE, stream.id, grant));
    }
    this.creditConnection(n);
  }

  released(_stream: H2Stream): void {
    this.busy--;
    this.closeIfIdle();
  }

  // ---- frames out

  private encode(fields: Fields): Uint8Array {
    // The first block resets the peer's decoder table to 0 entries: we never add to it.
    const block = encodeHeaderBlock(fields, { resetTable: this.firstHeaderBlock });
    this.firstHeaderBlock = false;
    return block;
  }

  /** HEADERS, split into CONTINUATION frames when the block is bigger than a frame. */
  private queueHeaders(streamId: number, fields: Fields, endStream: boolean): void {
    const block = this.encode(fields);
    const end = endStream ? Flag.END_STREAM : 0;
    if (block.byteLength <= this.peerMaxFrame) return this.queue(frame(FrameType.HEADERS, end | Flag.END_HEADERS, streamId, block));
    for (let at = 0; at < block.byteLength; at += this.peerMaxFrame) {
      const last = at + this.peerMaxFrame >= block.byteLength;
      const type = at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      this.queue(frame(type, (at === 0 ? end : 0) | (last ? Flag.END_HEADERS : 0), streamId, block.subarray(at, at + this.peerMaxFrame)));
    }
  }

  private creditConnection(n: number): void {
    const grant = this.recvWindow.take(n);
    if (grant > 0) this.queue(wordsFrame(FrameType.WINDOW_UPDATE, 0, grant));
  }

  private queue(bytes: Uint8Array): void {
    if (this.done) return;
    this.out.push(bytes);
    this.outBytes += bytes.byteLength;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued || this.blocked || this.done) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Frames response data while the transport keeps up, and writes. */
  private flush(): void {
    while (!this.blocked && !this.done) {
      this.frameData();
      if (this.out.length === 0) break;
      const bytes = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
      this.out = [];
      this.outBytes = 0;
      if (!this.transport.write(bytes)) this.blocked = true;
    }
    if (this.goingAway) this.closeIfIdle();
  }

  /** Moves queued response data into DATA frames, stream by stream in turn, as windows allow. */
  private frameData(): void {
    let progress = true;
    while (progress && this.outBytes < WRITE_BATCH && this.sending.size > 0) {
      progress = false;
      for (const s of this.sending) {
        if (this.outBytes >= WRITE_BATCH) break;
        if (s.closed || s.localDone) {
          this.sending.delete(s);
          continue;
        }
        if (s.outBytes > 0) {
          const room = Math.min(s.sendWindow.size, this.sendWindow.size, this.peerMaxFrame);
          if (room <= 0) {
            // Waits for a WINDOW_UPDATE: for the stream's own, out of the turn; for the connection's, all wait.
            if (s.sendWindow.size <= 0) this.sending.delete(s);
            continue;
          }
          const piece = s.take(room);
          s.sendWindow.consume(piece.byteLength);
          this.sendWindow.consume(piece.byteLength);
          const last = s.outBytes === 0 && s.localEnding && s.trailers === undefined;
          this.queue(frame(FrameType.DATA, last ? Flag.END_STREAM : 0, s.id, piece));
          progress = true;
          if (last) this.localDone(s);
          else {
            this.sending.delete(s);
            this.sending.add(s);
          }
          continue;
        }
        if (s.localEnding) {
          if (s.trailers) this.queueHeaders(s.id, s.trailers, true);
          else this.queue(frame(FrameType.DATA, Flag.END_STREAM, s.id));
          progress = true;
          this.localDone(s);
          continue;
        }
        this.sending.delete(s);
      }
    }
  }

  /**
   * Our END_STREAM is framed. A request still coming is cut short (RST_STREAM NO_ERROR,
   * RFC 9113 §8.1) when the handler asked for it; otherwise the stream waits for the
   * request's end, and what more of its body comes is dropped as it comes.
   */
  private localDone(stream: H2Stream): void {
    stream.localDone = true;
    this.sending.delete(stream);
    if (stream.remoteEnded || stream.cutRequestOnEnd) {
      if (!stream.remoteEnded) this.queue(wordsFrame(FrameType.RST_STREAM, stream.id, ErrorCode.NO_ERROR));
      return this.closeStream(stream, ErrorCode.NO_ERROR);
    }
    const unread = stream.discardInbox();
    if (unread > 0) this.credit(stream, unread);
  }

  private closeStream(stream: H2Stream, code: number): void {
    if (stream.closed) return;
    this.streams.delete(stream.id);
    this.sending.delete(stream);
    const unread = stream.discardInbox();
    stream.close(code);
    if (unread > 0) this.creditConnection(unread);
  }

  private closeIfIdle(): void {
    if (this.goingAway && !this.done && this.busy === 0 && this.out.length === 0 && !this.blocked) {
      this.finish(ErrorCode.NO_ERROR);
      this.transport.end();
    }
  }

  /** A connection error: GOAWAY with its code, then close. */
  private fail(err: unknown): void {
    if (this.done) return;
    const code = err instanceof ConnectionError ? err.code : ErrorCode.INTERNAL_ERROR;
    const message = err instanceof Error ? err.message : String(err);
    this.opts.log?.(`http2 connection error: ${message}`);
    const goaway = Buffer.allocUnsafe(8 + Buffer.byteLength(message));
    goaway.writeUInt32BE(this.lastStreamId, 0);
    goaway.writeUInt32BE(code, 4);
    goaway.write(message, 8);
    const unsent = [...this.out, frame(FrameType.GOAWAY, 0, 0, goaway)];
    this.finish(code);
    this.transport.write(Buffer.concat(unsent));
    this.transport.end();
  }

  /** Closes every stream and stops all work; the transport is the caller's to close. */
  private finish(code: number): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.prefaceTimer);
    for (const s of [...this.streams.values()]) this.closeStream(s, code);
    this.out = [];
    this.outBytes = 0;
  }
}
