import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImageStatusRequest, ImageStatusResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { CriContext } from "./context.ts";
import { toCriImage } from "./image-convert.ts";

/**
 * ImageStatus: an unknown image is not an error; the response simply has no image
 * (api.proto). With `verbose`, `info["info"]` holds the config, manifests, layers,
 * chain ids and size as JSON.
 */
export function createImageStatus(ctx: Pick<CriContext, "images">) {
  return async (req: ImageStatusRequest): Promise<MessageInitShape<typeof ImageStatusResponseSchema>> => {
    const name = req.image?.image ?? "";
    if (name === "") throw new InvalidArgumentError("image.image", "is required");
    const img = ctx.images.resolve(name);
    if (!img) return {};
    const info: Record<string, string> = {};
    if (req.verbose) {
      info.info = JSON.stringify({ id: img.id, manifestDigest: img.manifestDigest, size: img.size, chainId: img.chainId, ...img.info, imageSpec: img.config });
    }
    return { image: toCriImage(img), info };
  };
}
