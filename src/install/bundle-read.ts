/**
 * Reading a `skiff bundle` archive: its manifest (the first entry) alone, or every entry
 * written out to temp files next to where they go and checked against the manifest.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeError } from "../errors.ts";
import { readTar } from "../image/unpack/index.ts";
import { BUNDLE_MANIFEST, type BundleManifest, MAX_BUNDLE_MANIFEST_BYTES, parseBundleManifest } from "./bundle-format.ts";

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

/** The bundle's manifest, read from its first entry; throws when the file is not a skiff bundle. */
export async function readBundleManifest(file: string): Promise<BundleManifest> {
  try {
    for await (const entry of readTar(Bun.file(file).stream(), { drain: false })) {
      if (entry.name !== BUNDLE_MANIFEST) throw new Error(`its first entry is "${entry.name}", not ${BUNDLE_MANIFEST}`);
      if (entry.size > MAX_BUNDLE_MANIFEST_BYTES) throw new Error(`${BUNDLE_MANIFEST} is larger than ${MAX_BUNDLE_MANIFEST_BYTES} bytes`);
      return parseBundleManifest(await collect(entry.body), file);
    }
    throw new Error("it is an empty archive");
  } catch (err) {
    throw new Error(`${file} is not a skiff bundle: ${describeError(err)}`, { cause: err });
  }
}

/** Where one bundle entry goes: the final path, what it must hash to, and its size. */
export type BundleTarget = { path: string; sha256: string; size: number; mode: number };

/**
 * Writes the wanted entries of a bundle to temp files beside their targets (so the final
 * rename stays on one filesystem), checking each one's size and SHA-256. Returns the temp
 * file of each entry; on any failure removes them all and throws. Entries not asked for
 * are skipped.
 */
export async function stageBundle(file: string, wanted: Map<string, BundleTarget>): Promise<Map<string, string>> {
  const staged = new Map<string, string>();
  try {
    for await (const entry of readTar(Bun.file(file).stream())) {
      const target = wanted.get(entry.name);
      if (!target || entry.type !== "file") continue;
      fs.mkdirSync(path.dirname(target.path), { recursive: true });
      const tmp = path.join(path.dirname(target.path), `.${path.basename(target.path)}.skiff-tmp-${process.pid}`);
      staged.set(entry.name, tmp);
      const hasher = new Bun.CryptoHasher("sha256");
      const out = fs.openSync(tmp, "w", target.mode);
      let size = 0;
      try {
        for await (const chunk of entry.body) {
          hasher.update(chunk);
          size += chunk.length;
          fs.writeSync(out, chunk);
        }
        fs.fsyncSync(out);
      } finally {
        fs.closeSync(out);
      }
      fs.chmodSync(tmp, target.mode);
      const sha = hasher.digest("hex");
      if (size !== target.size || sha !== target.sha256) {
        throw new Error(`entry "${entry.name}" is damaged: ${size} bytes with sha256 ${sha}, the manifest says ${target.size} bytes with ${target.sha256}`);
      }
    }
    const missing = [...wanted.keys()].filter((name) => !staged.has(name));
    if (missing.length > 0) throw new Error(`entries missing: ${missing.join(", ")}`);
    return staged;
  } catch (err) {
    for (const tmp of staged.values()) fs.rmSync(tmp, { force: true });
    throw new Error(`bundle ${file}: ${describeError(err)}`, { cause: err });
  }
}
