/**
 * Tracks zstd frame boundaries in the compressed bytes, to catch a truncated stream:
 * Bun 1.4.4's streaming zstd decoder ends quietly on a stream cut inside a frame, where
 * its gzip decoder reports "unexpected end of file". Only the frame layout is followed
 * (RFC 8878 section 3.1: magic, frame header, block headers, optional checksum; and
 * skippable frames); the blocks themselves are left to the decoder.
 */

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type State = "magic" | "fhd" | "header" | "block" | "body" | "checksum" | "skipSize" | "skip" | "unknown";

export class ZstdFrameTracker {
  #state: State = "magic";
  /** Bytes of the current fixed-size field collected so far. */
  readonly #field: number[] = [];
  /** Bytes to collect (fixed-size states) or skip (body states). */
  #need = 4;
  #checksum = false;
  #lastBlock = false;

  /** Feeds compressed bytes in stream order. */
  update(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && this.#state !== "unknown") {
      if (this.#state === "body" || this.#state === "skip") {
        const n = Math.min(this.#need, chunk.length - i);
        this.#need -= n;
        i += n;
        if (this.#need === 0) this.#afterBody();
        continue;
      }
      this.#field.push(chunk[i++]!);
      if (this.#field.length === this.#need) {
        const f = this.#field.splice(0);
        this.#onField(f);
      }
    }
  }

  /** True if the bytes so far end exactly between frames (always true once the layout was not understood). */
  get complete(): boolean {
    return this.#state === "unknown" || (this.#state === "magic" && this.#field.length === 0);
  }

  #onField(f: number[]): void {
    const le = (from = 0, len = f.length) => f.slice(from, from + len).reduceRight((v, b) => v * 256 + b, 0);
    switch (this.#state) {
      case "magic": {
        const magic = le() >>> 0;
        if (magic === ZSTD_MAGIC) this.#go("fhd", 1);
        else if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) this.#go("skipSize", 4);
        else this.#state = "unknown"; // the decoder reports garbage itself
        break;
      }
      case "fhd": {
        const fhd = f[0]!;
        const fcsFlag = fhd >> 6;
        const singleSegment = (fhd & 0x20) !== 0;
        this.#checksum = (fhd & 0x04) !== 0;
        const dictBytes = [0, 1, 2, 4][fhd & 0x03]!;
        const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
        const rest = (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
        if (rest === 0) this.#go("block", 3);
        else this.#go("header", rest);
        break;
      }
      case "header":
        this.#go("block", 3);
        break;
      case "block": {
        const h = le();
        this.#lastBlock = (h & 1) !== 0;
        const type = (h >> 1) & 3;
        const size = h >> 3;
        const body = type === 1 ? 1 : size;
        if (body === 0) this.#afterBody();
        else this.#go("body", body);
        break;
      }
      case "checksum":
        this.#go("magic", 4);
        break;
      case "skipSize": {
        const size = le();
        if (size === 0) this.#go("magic", 4);
        else this.#go("skip", size);
        break;
      }
    }
  }

  #afterBody(): void {
    if (this.#state === "skip") return this.#go("magic", 4);
    if (!this.#lastBlock) return this.#go("block", 3);
    if (this.#checksum) return this.#go("checksum", 4);
    this.#go("magic", 4);
  }

  #go(state: State, need: number): void {
    this.#state = state;
    this.#need = need;
  }
}
