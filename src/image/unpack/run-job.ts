import { open } from "node:fs/promises";
import type { Platform } from "../../platform/types.ts";
import { type ApplyLayerResult, applyLayer } from "./apply-layer.ts";
import { sniffCompression } from "./decompress.ts";
import { hasNativeDecoder } from "./native-decoders.ts";
import type { UnpackJob } from "./worker-protocol.ts";

/** The size of each read of a blob. */
const READ_BYTES = 256 * 1024;

/**
 * The blob's bytes through one buffer used for every read. Only for a consumer that is
 * done with a chunk when it asks for the next: libz or libzstd through FFI
 * (native-decoders.ts), or an uncompressed tar going straight to the tar reader. node:zlib's stream keeps the chunks
 * it was given, so its input gets a fresh array per read (Bun.file's stream).
 */
async function* reusedReads(path: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, "r");
  try {
    const buf = new Uint8Array(READ_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Whether the blob will be read by a consumer that copies nothing it is handed (see reusedReads). */
async function readsInPlace(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const kind = sniffCompression(head.subarray(0, bytesRead));
    return kind === "none" || hasNativeDecoder(kind);
  } finally {
    await fh.close();
  }
}

/** Runs one unpack job with `platform`: the same in a worker and on the calling thread. */
export async function runUnpackJob(platform: Platform, job: UnpackJob, signal?: AbortSignal): Promise<ApplyLayerResult> {
  return applyLayer({
    platform,
    dest: job.dest,
    stream: (await readsInPlace(job.blobPath)) ? reusedReads(job.blobPath) : Bun.file(job.blobPath).stream(),
    mediaType: job.mediaType,
    maxBytes: job.maxBytes,
    expectedDiffId: job.expectedDiffId,
    blobVerified: job.blobVerified,
    layout: job.layout,
    signal,
  });
}
