import type { Platform } from "../../platform/types.ts";
import { type ApplyLayerResult, applyLayer } from "./apply-layer.ts";
import type { UnpackJob } from "./worker-protocol.ts";

/** Runs one unpack job with `platform`: the same in a worker and on the calling thread. */
export function runUnpackJob(platform: Platform, job: UnpackJob, signal?: AbortSignal): Promise<ApplyLayerResult> {
  return applyLayer({
    platform,
    dest: job.dest,
    stream: Bun.file(job.blobPath).stream(),
    mediaType: job.mediaType,
    maxBytes: job.maxBytes,
    expectedDiffId: job.expectedDiffId,
    blobVerified: job.blobVerified,
    layout: job.layout,
    signal,
  });
}
