import { open } from "node:fs/promises";
import type { Platform } from "../../platform/types.ts";
import { type ApplyLayerResult, applyLayer } from "./apply-layer.ts";
import type { UnpackJob } from "./worker-protocol.ts";

/** The size of each read of a blob. */
const READ_BYTES = 256 * 1024;

/** The blob's bytes through one buffer used for every read (see `DecompressOptions.sourceReusesBuffers`). */
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

/** Runs one unpack job with `platform`: the same in a worker and on the calling thread. */
export function runUnpackJob(platform: Platform, job: UnpackJob, signal?: AbortSignal): Promise<ApplyLayerResult> {
  return applyLayer({
    platform,
    dest: job.dest,
    stream: reusedReads(job.blobPath),
    sourceReusesBuffers: true,
    mediaType: job.mediaType,
    maxBytes: job.maxBytes,
    expectedDiffId: job.expectedDiffId,
    blobVerified: job.blobVerified,
    layout: job.layout,
    signal,
  });
}
