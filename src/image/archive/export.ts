import { NotFoundError } from "../../errors.ts";
import type { ImageRecord } from "../../store/index.ts";
import type { ContentStore } from "../content-store.ts";
import { parseImageReference } from "../reference.ts";
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME } from "./import.ts";
import { type TarFile, bytesFile, writeTar } from "./tar-write.ts";

type StoredDescriptor = { digest: string; mediaType: string; size: number };

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const blobName = (digest: string) => `blobs/sha256/${digest.slice("sha256:".length)}`;

/**
 * Streams the images as one OCI image-layout archive: `oci-layout`, `index.json` (one
 * entry per tag, named with the containerd and OCI annotations; one unnamed entry for
 * an untagged image), the blobs, and a docker-style `manifest.json` so `docker load`
 * can read it too. Each image is exported as the platform manifest skiff holds.
 */
export async function* exportArchive(content: ContentStore, images: ImageRecord[]): AsyncGenerator<Uint8Array> {
  const indexEntries: unknown[] = [];
  const dockerEntries: unknown[] = [];
  const blobs = new Map<string, StoredDescriptor>();
  for (const img of images) {
    const manifests = (img.info.manifests ?? []) as StoredDescriptor[];
    const layers = (img.info.layers ?? []) as StoredDescriptor[];
    const manifest = manifests.at(-1);
    if (!manifest) throw new NotFoundError(`image "${img.id}" has no stored manifest`);
    const config = { digest: img.id, mediaType: "", size: 0 };
    for (const d of [manifest, config, ...layers]) blobs.set(d.digest, d);
    const desc = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
    const tags = img.refs.filter((r) => !r.includes("@"));
    if (tags.length === 0) indexEntries.push(desc);
    for (const tag of tags) {
      const ref = parseImageReference(tag);
      indexEntries.push({ ...desc, annotations: { [ANNOTATION_IMAGE_NAME]: tag, [ANNOTATION_REF_NAME]: ref.tag ?? "" } });
    }
    dockerEntries.push({
      Config: blobName(img.id),
      RepoTags: tags.map((t) => parseImageReference(t).familiar),
      Layers: layers.map((l) => blobName(l.digest)),
    });
  }
  for (const digest of blobs.keys()) {
    if (!content.has(digest)) throw new NotFoundError(`blob "${digest}" is missing from the content store`);
  }
  async function* files(): AsyncGenerator<TarFile> {
    yield bytesFile("oci-layout", enc({ imageLayoutVersion: "1.0.0" }));
    yield bytesFile("index.json", enc({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: indexEntries }));
    yield bytesFile("manifest.json", enc(dockerEntries));
    for (const digest of blobs.keys()) {
      const size = Bun.file(content.blobPath(digest)).size;
      yield { name: blobName(digest), size, body: () => content.stream(digest) };
    }
  }
  yield* writeTar(files());
}
