/**
 * A request body gathered for reading gRPC envelopes out of it. Each piece is copied into
 * one buffer that doubles as it fills, so a body that comes in many small pieces costs
 * its size and a linear amount of copying, not a buffer per piece (a client may send a
 * message one byte per DATA frame) nor a copy of everything so far per piece.
 */
export class ByteBuffer {
  private buf = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(piece: Uint8Array): void {
    if (this.end + piece.byteLength > this.buf.byteLength) {
      const kept = this.length;
      const need = kept + piece.byteLength;
      // Move what is kept to the front, into a bigger buffer when half of this one would not do.
      const into = need <= this.buf.byteLength / 2 ? this.buf : Buffer.allocUnsafe(Math.max(need, 2 * this.buf.byteLength, 256));
      this.buf.copy(into, 0, this.start, this.end);
      this.buf = into;
      this.start = 0;
      this.end = kept;
    }
    this.buf.set(piece, this.end);
    this.end += piece.byteLength;
  }

  /**
   * The bytes gathered and not consumed. A view: it changes with the next `append` or
   * `consume`, so copy what must outlive them.
   */
  view(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** Drops the first `n` bytes. */
  consume(n: number): void {
    this.start += n;
    if (this.start >= this.end) this.start = this.end = 0;
  }
}
