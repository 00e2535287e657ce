/**
 * The `skiff bundle` archive: one uncompressed tar holding, in this order,
 *
 *   skiff-bundle.json   what the bundle holds: versions, platform, sizes and SHA-256s
 *   skiff               the skiff executable (mode 0755)
 *   images.tar          the images as one OCI image-layout archive (what `skiff image
 *                       export` writes), when the bundle has images
 *
 * The manifest comes first so an install can check the bundle (and `--dry-run` describe
 * it) before reading the large entries; each entry is checked against its size and
 * SHA-256 as it is written out. Layers inside images.tar are compressed already, so the
 * bundle is not. Pure.
 */

export const BUNDLE_MANIFEST = "skiff-bundle.json";
export const BUNDLE_BINARY = "skiff";
export const BUNDLE_IMAGES = "images.tar";

export type BundleEntry = { size: number; sha256: string };

export type BundleManifest = {
  bundleVersion: 1;
  skiffVersion: string;
  /** `process.platform` and `process.arch` of the skiff inside, e.g. linux / x64. */
  os: string;
  arch: string;
  created: string;
  binary: BundleEntry;
  images?: BundleEntry & { refs: string[] };
};

/** Largest manifest accepted; a real one is a few hundred bytes. */
export const MAX_BUNDLE_MANIFEST_BYTES = 1024 * 1024;

const isEntry = (e: unknown): e is BundleEntry =>
  typeof e === "object" && e !== null &&
  Number.isSafeInteger((e as BundleEntry).size) && (e as BundleEntry).size >= 0 &&
  /^[0-9a-f]{64}$/.test(String((e as BundleEntry).sha256));

/** Parses and checks `skiff-bundle.json`; throws naming what is wrong. */
export function parseBundleManifest(bytes: Uint8Array, source: string): BundleManifest {
  let doc: Partial<BundleManifest>;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${source}: ${BUNDLE_MANIFEST} is not valid JSON`, { cause: err });
  }
  const bad = (what: string) => new Error(`${source}: ${BUNDLE_MANIFEST}: ${what}`);
  if (doc === null || typeof doc !== "object" || doc.bundleVersion !== 1) throw bad("not a version 1 skiff bundle manifest");
  for (const key of ["skiffVersion", "os", "arch", "created"] as const) {
    if (typeof doc[key] !== "string" || doc[key] === "") throw bad(`"${key}" must be a non-empty string`);
  }
  if (!isEntry(doc.binary)) throw bad('"binary" needs a size and a sha256');
  if (doc.images !== undefined) {
    if (!isEntry(doc.images)) throw bad('"images" needs a size and a sha256');
    if (!Array.isArray(doc.images.refs) || !doc.images.refs.every((r) => typeof r === "string")) throw bad('"images.refs" must be a list of strings');
  }
  return doc as BundleManifest;
}

/** Refuses a bundle whose skiff cannot run on this machine. */
export function checkBundlePlatform(m: BundleManifest, os: string, arch: string): void {
  if (m.os !== os || m.arch !== arch) {
    throw new Error(`the bundle holds skiff for ${m.os}-${m.arch}; this machine is ${os}-${arch}: build the bundle with a ${os}-${arch} skiff`);
  }
}

/** The name a bundle's image archive gets in `image.import_dir`: the same bundle lands on the same file. */
export function bundleImagesName(sha256: string): string {
  return `skiff-bundle-${sha256.slice(0, 16)}.tar`;
}
