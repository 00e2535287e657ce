import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ListImagesRequest,
  ListImagesResponseSchema,
  StreamImagesRequest,
  StreamImagesResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import type { ImageRecord } from "../store/index.ts";
import type { CriContext } from "./context.ts";
import { toCriImage } from "./image-convert.ts";

/** Images sent per StreamImages response, well under the default message limit. */
export const STREAM_BATCH = 100;

/** The images a filter selects: all, or the one the filter's image names. */
function selected(ctx: Pick<CriContext, "images">, filterImage: string | undefined): ImageRecord[] {
  if (!filterImage) return ctx.images.list();
  const img = ctx.images.resolve(filterImage);
  return img ? [img] : [];
}

export function createListImages(ctx: Pick<CriContext, "images">) {
  return async (req: ListImagesRequest): Promise<MessageInitShape<typeof ListImagesResponseSchema>> => ({
    images: selected(ctx, req.filter?.image?.image).map(toCriImage),
  });
}

/** StreamImages: the same result as ListImages, in batches. */
export function createStreamImages(ctx: Pick<CriContext, "images">) {
  return async function* (req: StreamImagesRequest): AsyncIterable<MessageInitShape<typeof StreamImagesResponseSchema>> {
    const all = selected(ctx, req.filter?.image?.image);
    for (let i = 0; i < all.length; i += STREAM_BATCH) {
      yield { images: all.slice(i, i + STREAM_BATCH).map(toCriImage) };
    }
  };
}
