import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImageSchema } from "../gen/runtime/v1/api_pb.ts";
import type { ImageRecord } from "../store/index.ts";

/** The image config's `config.User`, whatever case the producer used. */
function imageUser(img: ImageRecord): string {
  const cfg = (img.config.config ?? {}) as Record<string, unknown>;
  const user = cfg.User ?? cfg.user;
  return typeof user === "string" ? user : "";
}

/**
 * A stored image as CRI's `Image`. The user part before ':' goes to `uid` when numeric,
 * else to `username`, as the kubelet reads them (it checks runAsNonRoot against these).
 */
export function toCriImage(img: ImageRecord): MessageInitShape<typeof ImageSchema> {
  const user = imageUser(img).split(":")[0] ?? "";
  const numeric = /^\d+$/.test(user);
  return {
    id: img.id,
    repoTags: img.refs.filter((r) => !r.includes("@")),
    repoDigests: img.refs.filter((r) => r.includes("@")),
    size: BigInt(img.size),
    uid: numeric ? { value: BigInt(user) } : undefined,
    username: numeric ? "" : user,
    spec: { image: img.id, annotations: {} },
    pinned: img.pinned,
  };
}
