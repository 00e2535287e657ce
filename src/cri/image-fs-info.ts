import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImageFsInfoRequest, ImageFsInfoResponseSchema } from "../gen/runtime/v1/api_pb.ts";
import type { CriContext } from "./context.ts";

/**
 * ImageFsInfo: what skiff's image store uses on the filesystem under the root dir, so
 * the kubelet's image garbage collection can compare it with the disk's capacity
 * (which it reads from the mountpoint itself). Container writable layers live on the
 * same filesystem (`<root>/containers`) and ContainerStats reports them with this
 * mountpoint, so no separate container filesystem is listed.
 */
export function createImageFsInfo(ctx: Pick<CriContext, "images" | "config" | "clock">) {
  return async (_req: ImageFsInfoRequest): Promise<MessageInitShape<typeof ImageFsInfoResponseSchema>> => {
    const usage = await ctx.images.usage();
    return {
      imageFilesystems: [
        {
          timestamp: ctx.clock(),
          fsId: { mountpoint: ctx.config.paths.root },
          usedBytes: { value: BigInt(usage.bytes) },
          inodesUsed: { value: BigInt(usage.inodes) },
        },
      ],
      containerFilesystems: [],
    };
  };
}
