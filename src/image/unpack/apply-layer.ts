/**
 * `applyLayer`: one layer blob in, one overlay-ready layer directory out, in a single
 * streaming pass: decompress (bounded), read the tar (bounded headers and entry count),
 * write entries (contained in `dest`), and hash both the blob and the tar on the way.
 *
 * On any error it throws, naming the entry at fault; what was written so far stays in
 * `dest` (and only there) for the caller to delete with the snapshot.
 */
import type { Platform } from "../../platform/types.ts";
import { type ApplyStats, applyEntries } from "./apply-entries.ts";
import { applyWindowsEntries } from "./apply-windows-entries.ts";
import type { ByteSource } from "./byte-reader.ts";
import { type Compression, decompressLayer, type LayerDigests } from "./decompress.ts";
import { UnpackError } from "./errors.ts";
import { readTar } from "./tar-reader.ts";

export interface ApplyLayerOptions {
  platform: Platform;
  /** The layer directory to fill; must exist (normally empty). */
  dest: string;
  /** The layer blob as fetched: compressed or not. */
  stream: ByteSource;
  /** `stream` uses a chunk's buffer again once the next is asked for (see `DecompressOptions`). */
  sourceReusesBuffers?: boolean;
  /** The descriptor's media type; unknown ones are refused (`NotSupportedError`). */
  mediaType?: string;
  /** Forces a decoder instead of sniffing the magic bytes. */
  compression?: Compression;
  /** Bound on the uncompressed tar size. Default 32 GiB. */
  maxBytes?: number;
  /** Bound on the number of tar entries. Default 2^21. */
  maxEntries?: number;
  /** Bound on one PAX header or GNU long name. Default 1 MiB. */
  maxHeaderBytes?: number;
  /** When set, the blob's sha256 must match (the descriptor digest). */
  expectedDigest?: string;
  /** The blob's digest was verified already (content store): don't hash it again. */
  blobVerified?: boolean;
  /** When set, the tar's sha256 must match (the config's `rootfs.diff_ids` entry). */
  expectedDiffId?: string;
  signal?: AbortSignal;
  /**
   * `overlay` (default): an overlay-ready directory (Linux). `windows`: the Files/ and
   * Hives/ folder vmcompute imports, whiteouts returned as tombstones.
   */
  layout?: "overlay" | "windows";
}

export interface ApplyLayerResult extends ApplyStats, LayerDigests {
  /** `windows` layout: the paths the layer deletes (`Files\...`). */
  tombstones?: string[];
}

/** Unpacks one layer blob into `opts.dest`. */
export async function applyLayer(opts: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const layer = decompressLayer(opts.stream, {
    mediaType: opts.mediaType,
    compression: opts.compression,
    maxBytes: opts.maxBytes,
    blobVerified: opts.blobVerified && opts.expectedDigest === undefined,
    // The tar reader and the body writers copy whatever they keep past the next chunks.
    reuseBuffers: true,
    sourceReusesBuffers: opts.sourceReusesBuffers,
    signal: opts.signal,
  });
  const entries = readTar(layer, { maxEntries: opts.maxEntries, maxHeaderBytes: opts.maxHeaderBytes });
  const stats =
    opts.layout === "windows"
      ? await applyWindowsEntries(entries, { dest: opts.dest, signal: opts.signal })
      : await applyEntries(entries, { platform: opts.platform, dest: opts.dest, signal: opts.signal });
  const digests = layer.digests();
  if (opts.expectedDigest !== undefined && opts.expectedDigest !== digests.digest) {
    throw new UnpackError(`layer digest mismatch: expected ${opts.expectedDigest}, got ${digests.digest}`);
  }
  if (opts.expectedDiffId !== undefined && opts.expectedDiffId !== digests.diffId) {
    throw new UnpackError(`layer diff id mismatch: expected ${opts.expectedDiffId}, got ${digests.diffId}`);
  }
  return { ...stats, ...digests };
}
