/**
 * Cuts the byte stream of a session into frames as it arrives, in whatever pieces the
 * socket delivers. Control frames are collected whole (up to a size limit) and handed
 * over with their payload; DATA payloads are passed on piece by piece as they arrive,
 * never collected, so a 16 MiB data frame costs no 16 MiB buffer.
 */
import { FRAME_HEADER_BYTES, SPDY_VERSION } from "./constants.ts";
import { SpdySessionError } from "./errors.ts";

export type FrameReaderHandlers = {
  /** A whole control frame of the right version. */
  control(type: number, flags: number, payload: Uint8Array): void;
  /** A DATA frame starts; its `length` payload bytes follow as `dataPiece` calls. */
  dataStart(streamId: number, length: number, fin: boolean): void;
  /** Some of the current DATA frame's payload (a view into the socket's chunk). */
  dataPiece(piece: Uint8Array): void;
  /** The current DATA frame is complete (right after `dataStart` when it is empty). */
  dataEnd(): void;
};

const EMPTY = new Uint8Array(0);

export class FrameReader {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFill = 0;
  /** Control payload being collected, and how much of it is in. */
  private control: { type: number; flags: number; payload: Uint8Array; fill: number } | undefined;
  /** DATA payload bytes still to come for the current frame. */
  private dataLeft = 0;
  private stopped = false;

  constructor(
    private readonly handlers: FrameReaderHandlers,
    /** Largest control frame payload accepted; larger ones are a session error. */
    private readonly maxControlBytes: number,
  ) {}

  /** No more frames: later bytes are ignored (the session is ending). */
  stop(): void {
    this.stopped = true;
  }

  /** Feeds bytes; handlers run synchronously. Throws SpdySessionError (and stops) on bad framing. */
  push(chunk: Uint8Array): void {
    try {
      this.consume(chunk);
    } catch (err) {
      this.stopped = true;
      throw err;
    }
  }

  private consume(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.stopped) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - at);
        this.dataLeft -= n;
        this.handlers.dataPiece(chunk.subarray(at, at + n));
        at += n;
        if (this.dataLeft === 0) this.handlers.dataEnd();
        continue;
      }
      if (this.control) {
        const c = this.control;
        const n = Math.min(c.payload.length - c.fill, chunk.length - at);
        c.payload.set(chunk.subarray(at, at + n), c.fill);
        c.fill += n;
        at += n;
        if (c.fill === c.payload.length) {
          this.control = undefined;
          this.handlers.control(c.type, c.flags, c.payload);
        }
        continue;
      }
      const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - at);
      this.header.set(chunk.subarray(at, at + n), this.headerFill);
      this.headerFill += n;
      at += n;
      if (this.headerFill === FRAME_HEADER_BYTES) {
        this.headerFill = 0;
        this.startFrame();
      }
    }
  }

  private startFrame(): void {
    const view = new DataView(this.header.buffer);
    const first = view.getUint32(0);
    const flags = this.header[4] as number;
    const length = view.getUint32(4) & 0xff_ffff;
    if ((first & 0x8000_0000) === 0) {
      const streamId = first & 0x7fff_ffff;
      if (streamId === 0) throw new SpdySessionError("DATA frame for stream 0");
      this.handlers.dataStart(streamId, length, (flags & 0x01) !== 0);
      if (length === 0) this.handlers.dataEnd();
      else this.dataLeft = length;
      return;
    }
    const version = (first >>> 16) & 0x7fff;
    const type = first & 0xffff;
    if (version !== SPDY_VERSION) throw new SpdySessionError(`control frame of SPDY version ${version}, not ${SPDY_VERSION}`);
    if (length > this.maxControlBytes) throw new SpdySessionError(`control frame of ${length} bytes exceeds the limit of ${this.maxControlBytes}`);
    if (length === 0) this.handlers.control(type, flags, EMPTY);
    else this.control = { type, flags, payload: new Uint8Array(length), fill: 0 };
  }
}
