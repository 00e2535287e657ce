/**
 * Flow-control windows as SPDY/3.1 (draft 3.1, section 2.6.8) and HTTP/2 (RFC 9113
 * §5.2, §6.9) both have them: a window per stream and one for the connection, in each
 * direction. DATA payload bytes count against both; WINDOW_UPDATE gives them back. The
 * receiver here gives bytes back only as its reader takes them, so what a peer may have
 * in flight (and so what skiff buffers) is bounded by the window.
 */

/** No flow-control window may exceed 2^31 - 1 bytes, in either protocol. */
export const MAX_WINDOW = 0x7fff_ffff;

/** What we may still send. Negative after a SETTINGS shrinks the initial window. */
export class SendWindow {
  constructor(public size: number) {}

  consume(n: number): void {
    this.size -= n;
  }

  /** Adds `delta`; false when the result would pass 2^31 - 1, which the peer may not do. */
  grow(delta: number): boolean {
    if (this.size + delta > MAX_WINDOW) return false;
    this.size += delta;
    return true;
  }
}

/** What the peer may still send us, and what our reader has taken but we have not yet granted back. */
export class RecvWindow {
  private remaining: number;
  private taken = 0;
  /** SPDY: granted here but not sent, as the peer had not shown it keeps windows (spdy/session-data.ts). */
  owed = 0;

  constructor(private readonly size: number) {
    this.remaining = size;
  }

  /** Counts received bytes; false when the peer went past the window. */
  receive(n: number): boolean {
    this.remaining -= n;
    return this.remaining >= 0;
  }

  /**
   * Counts bytes the reader took (or that were dropped). Returns how much to grant back
   * now: nothing until half the window is owed, so WINDOW_UPDATEs stay few.
   */
  take(n: number): number {
    this.taken += n;
    if (this.taken < this.size / 2) return 0;
    const grant = this.taken;
    this.taken = 0;
    this.remaining += grant;
    return grant;
  }
}
