import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RemoveImageRequest, RemoveImageResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { CriContext } from "./context.ts";

/** RemoveImage is idempotent: removing an unknown image succeeds (api.proto). */
export function createRemoveImage(ctx: Pick<CriContext, "images">) {
  return async (req: RemoveImageRequest): Promise<MessageInitShape<typeof RemoveImageResponseSchema>> => {
    const name = req.image?.image ?? "";
    if (name === "") throw new InvalidArgumentError("image.image", "is required");
    await ctx.images.remove(name);
    return {};
  };
}
