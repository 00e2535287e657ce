import { InvalidArgumentError, NotFoundError } from "../../errors.ts";
import type { ImageRecord } from "../../store/index.ts";
import { type InstallDeps, installImage } from "../install.ts";
import { type Descriptor, type ImageManifest, parseImageConfig, parseManifestOrIndex } from "../manifest.ts";
import { DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LAYER_GZIP, DOCKER_LAYER_ZSTD, DOCKER_MANIFEST } from "../media-types.ts";
import { type WantedPlatform, selectManifest } from "../platform-select.ts";
import { parseImageReference, repoDigest } from "../reference.ts";
import { sniffCompression, type ByteSource } from "../unpack/index.ts";
import { type StagedArchive, stageArchive } from "./stage.ts";

export type ImportDeps = InstallDeps & { want: WantedPlatform; maxArchiveBytes: number };

/** Annotation keys naming an image in an OCI layout's index.json. */
export const ANNOTATION_IMAGE_NAME = "io.containerd.image.name";
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

type DockerManifestEntry = { Config: string; RepoTags?: string[] | null; Layers: string[] };

const json = (bytes: Uint8Array, what: string): unknown => {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new InvalidArgumentError("archive", `${what} is not valid JSON`, { cause: err });
  }
};

/** A reference from a name in an archive, or undefined if it is not one (a bare tag). */
function refFrom(name: string | undefined) {
  if (!name) return undefined;
  try {
    const ref = parseImageReference(name, "archive");
    return name.includes("/") || name.includes(":") || name.includes("@") ? ref : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads every image of an OCI image-layout archive or a `docker save` archive. When
 * both index.json and manifest.json are present (newer docker), the OCI index is used
 * and manifest.json only supplies tags. Returns the images recorded.
 */
export async function importArchive(deps: ImportDeps, source: ByteSource): Promise<ImageRecord[]> {
  const staged = await stageArchive(deps.content, source, deps.maxArchiveBytes);
  const release = deps.leases.hold(staged.digests);
  try {
    if (staged.metadata.has("index.json")) return await importOci(deps, staged);
    if (staged.metadata.has("manifest.json")) return await importDocker(deps, staged);
    throw new InvalidArgumentError("archive", "neither index.json (OCI layout) nor manifest.json (docker save) found");
  } finally {
    release();
  }
}

async function readBlob(deps: ImportDeps, digest: string, what: string): Promise<Uint8Array> {
  if (!deps.content.has(digest)) throw new NotFoundError(`archive: ${what} ${digest} is not in the archive`);
  return deps.content.read(digest);
}

async function importOci(deps: ImportDeps, staged: StagedArchive): Promise<ImageRecord[]> {
  const index = parseManifestOrIndex(staged.metadata.get("index.json") as Uint8Array);
  if (index.kind !== "index") throw new InvalidArgumentError("archive", "index.json is not an image index");
  const dockerTags = dockerTagsByConfig(staged);
  const out: ImageRecord[] = [];
  for (const top of index.manifests) {
    let manifestDesc: Descriptor = top;
    const manifests: Descriptor[] = [top];
    let parsed = parseManifestOrIndex(await readBlob(deps, top.digest, "manifest"), top.mediaType);
    if (parsed.kind === "index") {
      manifestDesc = selectManifest(parsed, deps.want);
      manifests.push(manifestDesc);
      parsed = parseManifestOrIndex(await readBlob(deps, manifestDesc.digest, "manifest"), manifestDesc.mediaType);
    }
    if (parsed.kind !== "manifest") throw new InvalidArgumentError("archive", `${manifestDesc.digest} is an index inside an index`);
    const ref = refFrom(top.annotations?.[ANNOTATION_IMAGE_NAME]) ?? refFrom(top.annotations?.[ANNOTATION_REF_NAME]);
    const refs = ref ? [ref.full, repoDigest(ref, top.digest)] : [];
    refs.push(...(dockerTags.get(parsed.config.digest) ?? []));
    out.push(await install(deps, top, manifests, parsed, [...new Set(refs)]));
  }
  return out;
}

/** RepoTags of a docker manifest.json, by config digest, normalized. */
function dockerTagsByConfig(staged: StagedArchive): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const raw = staged.metadata.get("manifest.json");
  if (!raw) return out;
  const entries = json(raw, "manifest.json");
  if (!Array.isArray(entries)) throw new InvalidArgumentError("archive", "manifest.json is not a list");
  for (const e of entries as DockerManifestEntry[]) {
    const digest = typeof e?.Config === "string" ? staged.files.get(e.Config.replace(/^\.?\//, "")) : undefined;
    if (!digest) continue;
    const tags = (Array.isArray(e.RepoTags) ? e.RepoTags : []).filter((t) => typeof t === "string").map((t) => parseImageReference(t, "archive").full);
    out.set(digest, tags);
  }
  return out;
}

const DOCKER_LAYER_TYPES = { gzip: DOCKER_LAYER_GZIP, zstd: DOCKER_LAYER_ZSTD, none: DOCKER_LAYER } as const;

async function importDocker(deps: ImportDeps, staged: StagedArchive): Promise<ImageRecord[]> {
  const entries = json(staged.metadata.get("manifest.json") as Uint8Array, "manifest.json");
  if (!Array.isArray(entries)) throw new InvalidArgumentError("archive", "manifest.json is not a list");
  const tags = dockerTagsByConfig(staged);
  const out: ImageRecord[] = [];
  for (const [i, e] of (entries as DockerManifestEntry[]).entries()) {
    const file = (p: unknown, what: string): string => {
      const digest = typeof p === "string" ? staged.files.get(p.replace(/^\.?\//, "")) : undefined;
      if (!digest) throw new InvalidArgumentError("archive", `manifest.json[${i}].${what}: "${String(p)}" is not in the archive`);
      return digest;
    };
    if (!Array.isArray(e?.Layers)) throw new InvalidArgumentError("archive", `manifest.json[${i}].Layers is not a list`);
    const configDigest = file(e.Config, "Config");
    const configBytes = await readBlob(deps, configDigest, "config");
    const layers: Descriptor[] = [];
    for (const [j, p] of e.Layers.entries()) {
      const digest = file(p, `Layers[${j}]`);
      const head = new Uint8Array(await Bun.file(deps.content.blobPath(digest)).slice(0, 8).arrayBuffer());
      const size = Bun.file(deps.content.blobPath(digest)).size;
      layers.push({ mediaType: DOCKER_LAYER_TYPES[sniffCompression(head)], digest, size });
    }
    // docker save has no registry manifest: make the one a registry would have served.
    const manifestBytes = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST,
        config: { mediaType: DOCKER_CONFIG, size: configBytes.length, digest: configDigest },
        layers,
      }),
    );
    const manifestDigest = `sha256:${new Bun.CryptoHasher("sha256").update(manifestBytes).digest("hex")}`;
    await deps.content.writeVerified(manifestDigest, manifestBytes);
    const top: Descriptor = { mediaType: DOCKER_MANIFEST, digest: manifestDigest, size: manifestBytes.length };
    const parsed = parseManifestOrIndex(manifestBytes, DOCKER_MANIFEST) as ImageManifest;
    out.push(await install(deps, top, [top], parsed, tags.get(configDigest) ?? [], configBytes));
  }
  return out;
}

async function install(
  deps: ImportDeps,
  top: Descriptor,
  manifests: Descriptor[],
  manifest: ImageManifest,
  refs: string[],
  configBytes?: Uint8Array,
): Promise<ImageRecord> {
  const bytes = configBytes ?? (await readBlob(deps, manifest.config.digest, "config"));
  for (const l of manifest.layers) if (!deps.content.has(l.digest)) throw new NotFoundError(`archive: layer ${l.digest} is not in the archive`);
  return installImage(deps, {
    top,
    manifests,
    manifest,
    configBytes: bytes,
    config: parseImageConfig(bytes),
    refs,
    layerReady: async () => {},
  });
}
