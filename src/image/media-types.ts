/**
 * Media types of image manifests, indexes, configs and layers: the OCI image spec's
 * (https://github.com/opencontainers/image-spec/blob/main/media-types.md) and Docker's
 * schema 2 (https://distribution.github.io/distribution/spec/manifest-v2-2/).
 */
import { NotSupportedError } from "../errors.ts";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** The empty `{}` blob that artifacts use as config. */
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
export const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
export const OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
/** Deprecated in image-spec 1.1, still found in old Windows images. */
export const OCI_LAYER_NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.v1.tar";
export const OCI_LAYER_NONDISTRIBUTABLE_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
export const OCI_LAYER_NONDISTRIBUTABLE_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** Not in Docker's spec, but written by some tools (containerd knows them too). */
export const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
export const DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd";
/** Windows base layers that registries may not serve; the manifest gives `urls`. */
export const DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar";
export const DOCKER_FOREIGN_LAYER_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/** Schema 1 manifests: unsupported (Docker dropped them too), recognized for the error. */
export const DOCKER_SCHEMA1_MANIFEST = "application/vnd.docker.distribution.manifest.v1+json";
export const DOCKER_SCHEMA1_SIGNED_MANIFEST = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/** Every manifest and index type we can read, for the `Accept` header of a manifest GET. */
export const MANIFEST_ACCEPT: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

export type LayerCompression = "gzip" | "zstd" | "none";

const LAYER_COMPRESSION: Readonly<Record<string, LayerCompression>> = {
  [OCI_LAYER]: "none",
  [OCI_LAYER_GZIP]: "gzip",
  [OCI_LAYER_ZSTD]: "zstd",
  [OCI_LAYER_NONDISTRIBUTABLE]: "none",
  [OCI_LAYER_NONDISTRIBUTABLE_GZIP]: "gzip",
  [OCI_LAYER_NONDISTRIBUTABLE_ZSTD]: "zstd",
  [DOCKER_LAYER]: "none",
  [DOCKER_LAYER_GZIP]: "gzip",
  [DOCKER_LAYER_ZSTD]: "zstd",
  [DOCKER_FOREIGN_LAYER]: "none",
  [DOCKER_FOREIGN_LAYER_GZIP]: "gzip",
};

/** True for the layer media types skiff can unpack. */
export function isLayerMediaType(mediaType: string): boolean {
  return mediaType in LAYER_COMPRESSION;
}

/**
 * The compression of a layer blob, from its media type. Unknown types (encrypted
 * layers, artifacts) are a NotSupportedError: guessing would unpack garbage.
 */
export function layerCompression(mediaType: string): LayerCompression {
  const compression = LAYER_COMPRESSION[mediaType];
  if (compression === undefined) {
    throw new NotSupportedError(`layer media type "${mediaType}" is not supported`);
  }
  return compression;
}

/**
 * True for layers a registry need not serve: Docker foreign layers and OCI
 * non-distributable ones. They are fetched from their `urls` or, on Windows, are
 * already on the host.
 */
export function isNonDistributable(mediaType: string): boolean {
  return mediaType.startsWith("application/vnd.docker.image.rootfs.foreign.") ||
    mediaType.startsWith("application/vnd.oci.image.layer.nondistributable.");
}

export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

export function isConfigMediaType(mediaType: string): boolean {
  return mediaType === OCI_CONFIG || mediaType === DOCKER_CONFIG;
}

export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === DOCKER_SCHEMA1_MANIFEST || mediaType === DOCKER_SCHEMA1_SIGNED_MANIFEST;
}

/** Strips parameters (`; charset=utf-8`) and case from a Content-Type header value. */
export function baseMediaType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}
