import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ExportRequest,
  ExportResponseSchema,
  ImportRequest,
  ImportResponseSchema,
  PullEventSchema,
  WatchPullRequest,
} from "../gen/skiff/v1/skiff_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
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

/** skiff.v1.Images/Import: the client streams an archive; the images it held are loaded. */
export function createImport(ctx: Pick<CriContext, "images">) {
  return async (reqs: AsyncIterable<ImportRequest>): Promise<MessageInitShape<typeof ImportResponseSchema>> => {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for await (const r of reqs) if (r.chunk.length > 0) yield r.chunk;
    }
    const images = await ctx.images.import(chunks());
    return {
      images: images.map((i) => ({
        id: i.id,
        repoTags: i.refs.filter((r) => !r.includes("@")),
        repoDigests: i.refs.filter((r) => r.includes("@")),
      })),
    };
  };
}

/** Bytes per Export response message. */
const EXPORT_CHUNK = 1024 * 1024;

/** skiff.v1.Images/Export: an OCI archive of the named images, in ~1 MiB messages. */
export function createExport(ctx: Pick<CriContext, "images">) {
  return async function* (req: ExportRequest): AsyncIterable<MessageInitShape<typeof ExportResponseSchema>> {
    if (req.images.length === 0) throw new InvalidArgumentError("images", "name at least one image");
    let pending: Uint8Array[] = [];
    let size = 0;
    for await (const piece of ctx.images.export(req.images)) {
      pending.push(piece);
      size += piece.length;
      if (size >= EXPORT_CHUNK) {
        yield { chunk: Buffer.concat(pending) };
        pending = [];
        size = 0;
      }
    }
    if (size > 0) yield { chunk: Buffer.concat(pending) };
  };
}
