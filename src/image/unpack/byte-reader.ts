/**
 * A pull-based reader over a stream of byte chunks, for the tar reader: exact reads for
 * headers and bounded chunk-by-chunk reads for file bodies, so a layer never has to be
 * held in memory as a whole. Body chunks are views into the source's chunks, not copies.
 */
import { TarFormatError } from "./errors.ts";

/** Anything a layer can arrive as: a web stream (fetch body) or any async iterable. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** An async iterator over `source`, whichever of the two kinds it is. */
export function iterateBytes(source: ByteSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  return {
    async next() {
      const r = await reader.read();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    },
    async return() {
      await reader.cancel().catch(() => {});
      reader.releaseLock();
      return { done: true, value: undefined };
    },
  };
}

const EMPTY = new Uint8Array(0);

export class ByteReader {
  readonly #it: AsyncIterator<Uint8Array>;
  #chunk: Uint8Array = EMPTY;
  #off = 0;
  #ended = false;
  /** Bytes handed out so far (the offset in the stream of the next byte). */
  position = 0;

  constructor(source: ByteSource) {
    this.#it = iterateBytes(source);
  }

  /** Makes at least one unread byte available; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    while (this.#off >= this.#chunk.length) {
      if (this.#ended) return false;
      const r = await this.#it.next();
      if (r.done) {
        this.#ended = true;
        return false;
      }
      this.#chunk = r.value;
      this.#off = 0;
    }
    return true;
  }

  /** Up to `max` bytes (at least one), or null at the end of the stream. */
  async take(max: number): Promise<Uint8Array | null> {
    if (!(await this.#fill())) return null;
    const n = Math.min(max, this.#chunk.length - this.#off);
    const out = this.#chunk.subarray(this.#off, this.#off + n);
    this.#off += n;
    this.position += n;
    return out;
  }

  /**
   * Exactly `n` bytes. Returns null if the stream ends before the first byte; throws
   * `TarFormatError` naming `what` if it ends part-way.
   */
  async readExact(n: number, what: string): Promise<Uint8Array | null> {
    const first = await this.take(n);
    if (first === null) return null;
    if (first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first);
    let got = first.length;
    while (got < n) {
      const part = await this.take(n - got);
      if (part === null) throw truncated(what, this.position);
      out.set(part, got);
      got += part.length;
    }
    return out;
  }

  /** Discards exactly `n` bytes; throws `TarFormatError` naming `what` if the stream ends first. */
  async skip(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      const part = await this.take(left);
      if (part === null) throw truncated(what, this.position);
      left -= part.length;
    }
  }

  /** Reads and discards the rest of the stream (so hashes over the whole stream complete). */
  async drain(): Promise<void> {
    while ((await this.take(Number.MAX_SAFE_INTEGER)) !== null) {}
  }

  /** Stops the source early (e.g. after an error), letting it release its resources. */
  async close(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#it.return?.();
  }
}

function truncated(what: string, at: number): TarFormatError {
  return new TarFormatError(`archive truncated in ${what} (stream ended at byte ${at})`);
}
