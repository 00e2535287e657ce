/**
 * Builds OCI images for tests from layer tars (see layers.ts) and pushes them to a test
 * registry with skiff's own registry client.
 */
import { createRegistryClient } from "../../src/image/registry/index.ts";
import { type LayerBlob, busyboxLayer, layerBlob } from "./layers.ts";
import { sha256 } from "./tar-writer.ts";

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export type BuiltImage = {
  layers: LayerBlob[];
  config: Uint8Array;
  configDigest: string;
  manifest: Uint8Array;
  manifestDigest: string;
};

export type ImageOptions = {
  architecture?: string;
  os?: string;
  variant?: string;
  /** Windows: the build the image is for (`os.version`, e.g. 10.0.20348.2340). */
  osVersion?: string;
  env?: string[];
  cmd?: string[];
  entrypoint?: string[];
  user?: string;
  workingDir?: string;
  labels?: Record<string, string>;
  /** Makes otherwise equal images differ (a label). */
  salt?: string;
};

/** An OCI image (manifest + config) over the given layers. */
export function buildImage(layers: LayerBlob[], opts: ImageOptions = {}): BuiltImage {
  const config = enc({
    architecture: opts.architecture ?? "amd64",
    os: opts.os ?? "linux",
    ...(opts.variant ? { variant: opts.variant } : {}),
    ...(opts.osVersion ? { "os.version": opts.osVersion } : {}),
    created: "2026-01-01T00:00:00Z",
    config: {
      Env: opts.env ?? ["PATH=/bin"],
      Cmd: opts.cmd ?? ["/bin/sh"],
      ...(opts.entrypoint ? { Entrypoint: opts.entrypoint } : {}),
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      Labels: { ...(opts.labels ?? {}), ...(opts.salt ? { salt: opts.salt } : {}) },
    },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: "2026-01-01T00:00:00Z", created_by: "skiff tests" })),
  });
  const manifest = enc({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  return { layers, config, configDigest: sha256(config), manifest, manifestDigest: sha256(manifest) };
}

/** A one-layer busybox image. */
export function busyboxImage(opts: ImageOptions = {}): BuiltImage {
  return buildImage([layerBlob(busyboxLayer())], opts);
}

/** Pushes an image's blobs and manifest; tags it when `tag` is given. */
export async function pushImage(registryHost: string, repository: string, img: BuiltImage, tag?: string): Promise<void> {
  const client = createRegistryClient({ config: { hosts: { [registryHost]: { plainHttp: true } } } });
  const repo = { registry: registryHost, repository };
  for (const l of img.layers) await client.pushBlob(repo, l.blob, { mediaType: l.mediaType });
  await client.pushBlob(repo, img.config);
  await client.pushManifest({ ...repo, tag, digest: tag ? undefined : img.manifestDigest }, img.manifest, "application/vnd.oci.image.manifest.v1+json");
}

/** Pushes several platform images under one OCI index, tagged. Returns the index digest. */
export async function pushIndex(registryHost: string, repository: string, images: BuiltImage[], tag: string): Promise<string> {
  for (const img of images) await pushImage(registryHost, repository, img);
  const index = enc({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: images.map((img) => {
      const cfg = JSON.parse(new TextDecoder().decode(img.config));
      return {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: img.manifestDigest,
        size: img.manifest.length,
        platform: {
          os: cfg.os,
          architecture: cfg.architecture,
          ...(cfg.variant ? { variant: cfg.variant } : {}),
          ...(cfg["os.version"] ? { "os.version": cfg["os.version"] } : {}),
        },
      };
    }),
  });
  const client = createRegistryClient({ config: { hosts: { [registryHost]: { plainHttp: true } } } });
  await client.pushManifest({ registry: registryHost, repository, tag }, index, "application/vnd.oci.image.index.v1+json");
  return sha256(index);
}
