/**
 * Layer decompression as a stream: gzip and zstd through node:zlib (both streaming
 * decoders work under Bun 1.4.4), or none. While the bytes pass through it counts and
 * hashes both sides, so one read of the blob gives the layer digest (sha256 of the
 * compressed blob), the diff id (sha256 of the tar, what the image config lists in
 * `rootfs.diff_ids`) and both sizes, and it stops with an error as soon as the output
 * passes `maxBytes`: a small gzip of zeros must not fill the disk (decompression bomb).
 */
import { createGunzip, createZstdDecompress } from "node:zlib";
import { type LayerCompression, layerCompression } from "../media-types.ts";
import { type ByteSource, iterateBytes } from "./byte-reader.ts";
import { UnpackError, UnpackLimitError } from "./errors.ts";
import { type NativeDecoder, openNativeDecoder } from "./native-decoders.ts";
import { ZstdFrameTracker } from "./zstd-frames.ts";
import { drained } from "../../drained.ts";

export type Compression = LayerCompression;

/** Default bound on a layer's uncompressed size: 32 GiB. */
export const DEFAULT_MAX_LAYER_BYTES = 32 * 2 ** 30;

export interface DecompressOptions {
  /**
   * The layer's media type. An unknown one (encrypted layers, artifacts) is refused with
   * `NotSupportedError`. The decoder itself is chosen by the magic bytes, as containerd
   * does: some tools label uncompressed layers `tar.gzip`, and the digests (checked by
   * the caller) already pin the content, so the label adds no safety.
   */
  mediaType?: string;
  /** Forces a decoder, skipping the sniffing. */
  compression?: Compression;
  /** Bound on the uncompressed bytes. Default `DEFAULT_MAX_LAYER_BYTES`. */
  maxBytes?: number;
  /**
   * Skip hashing the blob as read, for a blob whose digest was already verified (the
   * content store only holds verified blobs). `digests().digest` is then "".
   */
  blobVerified?: boolean;
  /**
   * Let chunks come from a ring of buffers used again (libz or libzstd through FFI, see
   * native-decoders.ts): a chunk is then valid only until `RING` more have been read, so
   * only a reader that copies whatever it keeps longer may ask. Ignored where there is no
   * such library.
   */
  reuseBuffers?: boolean;
  /**
   * The source may use a chunk's buffer again once the next chunk is asked for (as
   * run-job.ts's reads do). Whatever is kept past that is then copied here: the sniffed
   * head when it spans chunks, node:zlib's input (its stream holds chunks until it has
   * inflated them), and uncompressed chunks for a reader that did not ask for `reuseBuffers`.
   */
  sourceReusesBuffers?: boolean;
  signal?: AbortSignal;
}

/** What one full read of a layer blob tells about it. */
export interface LayerDigests {
  compression: Compression;
  /** `sha256:<hex>` of the blob as read (the layer descriptor's digest); "" when `blobVerified`. */
  digest: string;
  compressedSize: number;
  /** `sha256:<hex>` of the uncompressed tar (the diff id). */
  diffId: string;
  uncompressedSize: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The compression that the first bytes of a blob show: gzip, zstd, or none. */
export function sniffCompression(head: Uint8Array): Compression {
  const starts = (magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts(GZIP_MAGIC)) return "gzip";
  if (starts(ZSTD_MAGIC)) return "zstd";
  return "none";
}

/** Starts decompressing `source`; iterate the result (once) for the tar bytes. */
export function decompressLayer(source: ByteSource, opts: DecompressOptions = {}): DecompressedLayer {
  if (opts.mediaType !== undefined) layerCompression(opts.mediaType);
  return new DecompressedLayer(source, opts);
}

export class DecompressedLayer implements AsyncIterable<Uint8Array> {
  /** Known once the first bytes have been read. */
  compression: Compression | undefined;
  compressedSize = 0;
  uncompressedSize = 0;

  readonly #source: ByteSource;
  readonly #opts: DecompressOptions;
  readonly #maxBytes: number;
  readonly #inHash = new Bun.CryptoHasher("sha256");
  readonly #outHash = new Bun.CryptoHasher("sha256");
  #started = false;
  /** Set for zstd: catches a stream cut inside a frame, which Bun's decoder lets pass. */
  #frames: ZstdFrameTracker | undefined;
  #digests: LayerDigests | undefined;

  constructor(source: ByteSource, opts: DecompressOptions) {
    this.#source = source;
    this.#opts = opts;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_MAX_LAYER_BYTES;
  }

  /** Digests and sizes; throws until the stream has been read to its end. */
  digests(): LayerDigests {
    if (!this.#digests) throw new UnpackError("layer digests asked for before the layer was read to its end");
    return this.#digests;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#started) throw new UnpackError("a decompressed layer can be read only once");
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<Uint8Array> {
    const it = iterateBytes(this.#source);
    let ended = false;
    try {
      // Gather the first 4 bytes to sniff; keep the chunks to replay them.
      const head: Uint8Array[] = [];
      let headLen = 0;
      const reused = this.#opts.sourceReusesBuffers === true;
      while (headLen < ZSTD_MAGIC.length) {
        // The next read may overwrite the chunk kept so far.
        if (reused && head.length > 0) head[head.length - 1] = head[head.length - 1]!.slice();
        const r = await it.next();
        if (r.done) {
          ended = true;
          break;
        }
        head.push(r.value);
        headLen += r.value.length;
      }
      const first = new Uint8Array(Math.min(headLen, 4));
      for (let i = 0, h = 0; i < first.length; h++) {
        const part = head[h]!.subarray(0, first.length - i);
        first.set(part, i);
        i += part.length;
      }
      const compression = this.#opts.compression ?? sniffCompression(first);
      this.compression = compression;
      if (compression === "zstd") this.#frames = new ZstdFrameTracker();
      const self = this;
      const input = async function* (): AsyncGenerator<Uint8Array> {
        for (const chunk of head) yield self.#countIn(chunk);
        while (!ended) {
          self.#opts.signal?.throwIfAborted();
          const r = await it.next();
          if (r.done) ended = true;
          else yield self.#countIn(r.value);
        }
      };
      const native = compression !== "none" && this.#opts.reuseBuffers ? openNativeDecoder(compression) : undefined;
      if (compression === "none") {
        const copy = reused && !this.#opts.reuseBuffers;
        for await (const chunk of input()) yield this.#countOut(copy ? chunk.slice() : chunk);
      } else if (native) {
        yield* this.#inflateNative(compression as "gzip" | "zstd", native, input());
      } else {
        yield* this.#inflate(compression, input(), reused);
      }
      this.#digests = {
        compression,
        digest: this.#opts.blobVerified ? "" : `sha256:${this.#inHash.digest("hex")}`,
        compressedSize: this.compressedSize,
        diffId: `sha256:${this.#outHash.digest("hex")}`,
        uncompressedSize: this.uncompressedSize,
      };
    } finally {
      if (!ended) await it.return?.().catch(() => {});
    }
  }

  async *#inflate(kind: "gzip" | "zstd", input: AsyncIterable<Uint8Array>, copyInput: boolean): AsyncGenerator<Uint8Array> {
    const z = kind === "gzip" ? createGunzip() : createZstdDecompress();
    // Feed the decoder from the source, honouring its back-pressure; a source error
    // destroys the decoder, which makes the read loop below throw it.
    const pump = (async () => {
      try {
        for await (const chunk of input) {
          if (z.destroyed) return;
          if (!z.write(copyInput ? chunk.slice() : chunk)) await drained(z);
        }
        z.end();
      } catch (err) {
        z.destroy(err as Error);
      }
    })();
    try {
      for await (const out of z as AsyncIterable<Buffer>) yield this.#countOut(out);
      await pump;
      if (this.#frames && !this.#frames.complete) throw new UnpackError("zstd layer: unexpected end of file");
    } catch (err) {
      if (err instanceof UnpackError || (err as Error).name === "AbortError") throw err;
      throw new UnpackError(`${kind} layer: ${(err as Error).message}`, undefined, { cause: err });
    } finally {
      z.destroy();
    }
  }

  async *#inflateNative(kind: "gzip" | "zstd", dec: NativeDecoder, input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of input) {
        for (const out of dec.push(chunk)) yield this.#countOut(out);
      }
      dec.finish();
    } catch (err) {
      if (err instanceof UnpackError || (err as Error).name === "AbortError") throw err;
      throw new UnpackError(`${kind} layer: ${(err as Error).message}`, undefined, { cause: err });
    } finally {
      dec.close();
    }
  }

  #countIn(chunk: Uint8Array): Uint8Array {
    this.compressedSize += chunk.length;
    this.#frames?.update(chunk);
    if (!this.#opts.blobVerified) this.#inHash.update(chunk);
    return chunk;
  }

  #countOut(chunk: Uint8Array): Uint8Array {
    this.uncompressedSize += chunk.length;
    if (this.uncompressedSize > this.#maxBytes) {
      throw new UnpackLimitError(
        `uncompressed layer exceeds the limit of ${this.#maxBytes} bytes (maxBytes); refusing a possible decompression bomb`,
      );
    }
    this.#outHash.update(chunk);
    return chunk;
  }
}
