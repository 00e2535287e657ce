import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PullEventSchema, WatchPullRequest } from "../gen/skiff/v1/skiff_pb.ts";
import { parseImageReference } from "../image/reference.ts";
import type { CriContext } from "./context.ts";

/** skiff.v1.Images/WatchPull: relays a pull's progress until it is done or failed. */
export function createWatchPull(ctx: Pick<CriContext, "images">) {
  return async function* (
    req: WatchPullRequest,
    hctx: { signal: AbortSignal },
  ): AsyncIterable<MessageInitShape<typeof PullEventSchema>> {
    const ref = parseImageReference(req.image, "image").full;
    for await (const e of ctx.images.events.watch(ref, hctx.signal)) {
      switch (e.kind) {
        case "resolved":
          yield { kind: e.kind, digest: e.manifest, layers: e.layers.map((l) => ({ digest: l.digest, size: BigInt(l.size) })) };
          break;
        case "download":
          yield { kind: e.kind, digest: e.digest, received: BigInt(e.received), total: BigInt(e.total) };
          break;
        case "downloaded":
        case "unpacked":
          yield { kind: e.kind, digest: e.digest, cached: e.cached };
          break;
        case "done":
          yield { kind: e.kind, message: e.id };
          break;
        case "failed":
          yield { kind: e.kind, message: e.message };
          break;
      }
    }
  };
}
