import type { ApplyLayerResult } from "./apply-layer.ts";

/** What the main thread asks an unpack worker to do. */
export type UnpackJob = {
  dest: string;
  blobPath: string;
  mediaType?: string;
  maxBytes?: number;
  expectedDiffId?: string;
  /** The blob is from the content store, verified on the way in: skip hashing it. */
  blobVerified?: boolean;
  /** See `ApplyLayerOptions.layout`. */
  layout?: "overlay" | "windows";
};

/**
 * The kinds of failure a worker reports. Tags, not class names: a minified build may
 * rename classes.
 */
export type UnpackFailure = "limit" | "unpack" | "unsupported" | "invalid" | "other";

/** What the worker answers: the result, or the kind of error and its full message. */
export type UnpackReply = { ok: true; result: ApplyLayerResult } | { ok: false; kind: UnpackFailure; message: string };
