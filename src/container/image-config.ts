import { type ImageConfig, parseImageConfig } from "../image/manifest.ts";
import type { ImageRecord } from "../store/index.ts";

/** The parsed config of a stored image (the store keeps the raw JSON). */
export function imageConfigOf(img: Pick<ImageRecord, "config">): ImageConfig {
  return parseImageConfig(new TextEncoder().encode(JSON.stringify(img.config)));
}
