/** Writing a `skiff bundle` archive (layout in bundle-format.ts). */
import * as fs from "node:fs";
import { type TarFile, bytesFile, writeTar } from "../image/archive/tar-write.ts";
import { BUNDLE_BINARY, BUNDLE_IMAGES, BUNDLE_MANIFEST, type BundleEntry, type BundleManifest } from "./bundle-format.ts";

/** Size and SHA-256 of a file, read once. */
export async function hashFile(file: string): Promise<BundleEntry> {
  const hasher = new Bun.CryptoHasher("sha256");
  let size = 0;
  for await (const chunk of Bun.file(file).stream()) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hasher.digest("hex") };
}

export type WriteBundleOptions = {
  /** The bundle to write; written as `<file>.tmp-<pid>` and renamed, so it is whole or absent. */
  file: string;
  /** The skiff executable to put in. */
  binary: string;
  /** An OCI image archive (from skiff.v1.Images/Export) and the references it holds. */
  images?: { file: string; refs: string[] };
  skiffVersion: string;
  os: string;
  arch: string;
  now?: Date;
};

const fileEntry = (name: string, file: string, size: number, mode: number): TarFile => ({ name, size, mode, body: () => Bun.file(file).stream() });

/** Writes the bundle and returns its manifest. */
export async function writeBundle(opts: WriteBundleOptions): Promise<BundleManifest> {
  const manifest: BundleManifest = {
    bundleVersion: 1,
    skiffVersion: opts.skiffVersion,
    os: opts.os,
    arch: opts.arch,
    created: (opts.now ?? new Date()).toISOString(),
    binary: await hashFile(opts.binary),
  };
  if (opts.images) manifest.images = { ...(await hashFile(opts.images.file)), refs: opts.images.refs };
  const entries: TarFile[] = [
    bytesFile(BUNDLE_MANIFEST, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`)),
    fileEntry(BUNDLE_BINARY, opts.binary, manifest.binary.size, 0o755),
  ];
  if (opts.images && manifest.images) entries.push(fileEntry(BUNDLE_IMAGES, opts.images.file, manifest.images.size, 0o644));

  const tmp = `${opts.file}.tmp-${process.pid}`;
  const sink = Bun.file(tmp).writer();
  try {
    for await (const chunk of writeTar(entries)) sink.write(chunk);
    await sink.end();
    fs.renameSync(tmp, opts.file);
  } catch (err) {
    await Promise.resolve(sink.end()).catch(() => {});
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return manifest;
}
