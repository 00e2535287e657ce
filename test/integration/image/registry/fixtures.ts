/**
 * Test images built in memory and pushed with our own client: random layer bytes
 * (gzip-compressed, so they look like layers), a config for a platform, a manifest,
 * and an index over several such manifests.
 */
import { randomBytes } from "node:crypto";
import type { Descriptor, Platform } from "../../../../src/image/manifest.ts";
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST } from "../../../../src/image/media-types.ts";
import type { RepositoryLocator } from "../../../../src/image/reference.ts";
import type { RegistryClient } from "../../../../src/image/registry/client.ts";

export type PushedImage = {
  manifest: Descriptor;
  manifestBytes: Uint8Array;
  config: Descriptor;
  layers: Descriptor[];
  layerBytes: Uint8Array<ArrayBuffer>[];
};

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** A gzip layer of about `size` bytes (random data barely compresses). */
export function randomLayer(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Bun.gzipSync(randomBytes(size), { level: 1 }));
}

export async function pushImage(
  client: RegistryClient,
  repo: RepositoryLocator,
  opts: { tag?: string; platform?: Platform; layerSizes?: number[] } = {},
): Promise<PushedImage> {
  const platform = opts.platform ?? { os: "linux", architecture: "amd64" };
  const layerBytes = (opts.layerSizes ?? [4096]).map(randomLayer);
  const layers: Descriptor[] = [];
  for (const bytes of layerBytes) layers.push(await client.pushBlob(repo, bytes, { mediaType: OCI_LAYER_GZIP }));
  const configBytes = json({
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant && { variant: platform.variant }),
    config: { Env: ["PATH=/bin"], Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: layers.map(() => `sha256:${randomBytes(32).toString("hex")}`) },
  });
  const config = await client.pushBlob(repo, configBytes, { mediaType: OCI_CONFIG });
  const manifestBytes = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers });
  const manifest = await client.pushManifest(
    opts.tag ? { ...repo, tag: opts.tag } : repo,
    manifestBytes,
    OCI_MANIFEST,
  );
  return { manifest, manifestBytes, config, layers, layerBytes };
}

export async function pushIndex(
  client: RegistryClient,
  repo: RepositoryLocator,
  tag: string,
  entries: Array<{ manifest: Descriptor; platform: Platform }>,
): Promise<Descriptor> {
  const bytes = json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: entries.map((e) => ({
      ...e.manifest,
      platform: {
        os: e.platform.os,
        architecture: e.platform.architecture,
        ...(e.platform.variant && { variant: e.platform.variant }),
      },
    })),
  });
  return client.pushManifest({ ...repo, tag }, bytes, OCI_INDEX);
}
