import { type ImageConfig, parseImageConfig } from "../image/manifest.ts";
import type { ImageRecord, ImageStore } from "../store/index.ts";

/** The parsed config of a stored image (the store keeps the raw JSON). */
export function imageConfigOf(img: Pick<ImageRecord, "config">): ImageConfig {
  return parseImageConfig(new TextEncoder().encode(JSON.stringify(img.config)));
}

/** The unpacked layer dirs of an image, top first, as overlayfs lower dirs. */
export function layerPathsOf(images: Pick<ImageStore, "snapshotChain">, img: Pick<ImageRecord, "chainId">): string[] {
  return img.chainId ? images.snapshotChain(img.chainId).map((s) => s.path) : [];
}
