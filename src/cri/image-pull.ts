import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PullImageRequest, PullImageResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { CriContext } from "./context.ts";

/**
 * PullImage fetches an image and answers with its id (the config digest), which the
 * kubelet then uses as the container's image reference.
 */
export function createPullImage(ctx: Pick<CriContext, "images">) {
  return async (req: PullImageRequest, hctx: { signal: AbortSignal }): Promise<MessageInitShape<typeof PullImageResponseSchema>> => {
    const image = req.image?.image ?? "";
    if (image === "") throw new InvalidArgumentError("image.image", "is required");
    const img = await ctx.images.pull(image, req.auth, { signal: hctx.signal });
    return { imageRef: img.id };
  };
}
