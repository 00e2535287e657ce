/** In-memory pipes for the fake HCS processes: what a reader of HCS stdio handles sees. */
import type { PipeReader, PipeWriter } from "../windows-host.ts";

/** One direction of a pipe: the writer pushes chunks, the reader gets them in order, then null. */
export class FakePipe implements PipeReader, PipeWriter {
  readonly #chunks: Uint8Array[] = [];
  #waiting: ((chunk: Uint8Array | null) => void) | undefined;
  #ended = false;
  /** Everything written, for tests that read stdin. */
  readonly written: Uint8Array[] = [];

  push(chunk: Uint8Array): void {
    if (this.#ended || chunk.length === 0) return;
    this.written.push(chunk);
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w(chunk);
    } else this.#chunks.push(chunk);
  }

  /** The writer's end closes: the reader sees end of file after the queued chunks. */
  end(): void {
    this.#ended = true;
    if (this.#waiting && this.#chunks.length === 0) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w(null);
    }
  }

  get ended(): boolean {
    return this.#ended;
  }

  read(): Promise<Uint8Array | null> {
    const next = this.#chunks.shift();
    if (next) return Promise.resolve(next);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  async write(data: Uint8Array): Promise<void> {
    this.push(data);
  }

  close(): void {
    this.end();
  }
}
