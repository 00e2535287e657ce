/** SpdySessionOptions with their defaults filled in and their ranges checked. */
import { DEFAULT_WINDOW, MAX_STREAM_ID, MAX_WINDOW } from "./constants.ts";
import type { SpdySessionOptions } from "./types.ts";

export type ResolvedOptions = Required<Omit<SpdySessionOptions, "log">> & Pick<SpdySessionOptions, "log">;

export function resolveOptions(opts: SpdySessionOptions = {}): ResolvedOptions {
  const o = {
    maxFrameBytes: opts.maxFrameBytes ?? 1024 * 1024,
    initialWindowBytes: opts.initialWindowBytes ?? 256 * 1024,
    sessionWindowBytes: opts.sessionWindowBytes ?? 4 * 1024 * 1024,
    maxConcurrentStreams: opts.maxConcurrentStreams ?? 1000,
    maxHeaderBytes: opts.maxHeaderBytes ?? 256 * 1024,
    idleTimeoutMs: opts.idleTimeoutMs ?? 0,
    log: opts.log,
  };
  const range = (name: keyof typeof o, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`spdy option ${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  range("maxFrameBytes", o.maxFrameBytes, 8192, 0xff_ffff);
  // Below the default, a peer could overrun us before it sees our SETTINGS (2.6.8).
  range("initialWindowBytes", o.initialWindowBytes, DEFAULT_WINDOW, MAX_WINDOW);
  range("sessionWindowBytes", o.sessionWindowBytes, DEFAULT_WINDOW, MAX_WINDOW);
  range("maxConcurrentStreams", o.maxConcurrentStreams, 1, MAX_STREAM_ID);
  range("maxHeaderBytes", o.maxHeaderBytes, 1024, 0xff_ffff);
  range("idleTimeoutMs", o.idleTimeoutMs, 0, 2 ** 31 - 1);
  return o;
}
