import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { InvalidArgumentError } from "../../errors.ts";
import type { ContentStore } from "../content-store.ts";
import { type ByteSource, decompressLayer, readTar } from "../unpack/index.ts";

/** Small metadata files read into memory instead of the content store. */
const METADATA = new Set(["index.json", "manifest.json", "oci-layout", "repositories"]);
const MAX_METADATA_BYTES = 4 * 1024 * 1024;

/** An archive's files, staged: every regular file is in the content store under its digest. */
export type StagedArchive = {
  /** Archive path (cleaned) → digest of its bytes. */
  files: Map<string, string>;
  /** index.json, manifest.json, ... by name. */
  metadata: Map<string, Uint8Array>;
  /** Every digest staged, to hold against garbage collection until recorded. */
  digests: Set<string>;
};

/** Cleans an archive path: no leading "./" or "/", no "..", no empty components. */
export function cleanArchivePath(name: string): string {
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) throw new InvalidArgumentError("archive", `entry "${name}" leaves the archive`);
  return parts.join("/");
}

/**
 * Reads an image archive (optionally gzip or zstd compressed) once, in a stream: each
 * regular file goes to the content store, hashed on the way, under its digest; symlinks
 * (old `docker save` uses them for shared layers) are resolved inside the archive. Only
 * the metadata files are held in memory. `maxBytes` bounds the uncompressed size.
 */
export async function stageArchive(content: ContentStore, source: ByteSource, maxBytes: number): Promise<StagedArchive> {
  const staged: StagedArchive = { files: new Map(), metadata: new Map(), digests: new Set() };
  const links = new Map<string, string>();
  const tarStream = decompressLayer(source, { maxBytes });
  for await (const entry of readTar(tarStream)) {
    const name = cleanArchivePath(entry.name);
    if (entry.type === "symlink") {
      links.set(name, cleanArchivePath(path.posix.join(path.posix.dirname(name), entry.linkname)));
      continue;
    }
    if (entry.type !== "file") continue;
    if (METADATA.has(name)) {
      if (entry.size > MAX_METADATA_BYTES) throw new InvalidArgumentError("archive", `${name} is larger than ${MAX_METADATA_BYTES} bytes`);
      const chunks: Uint8Array[] = [];
      for await (const c of entry.body) chunks.push(c);
      staged.metadata.set(name, Buffer.concat(chunks));
      continue;
    }
    const digest = await ingestFile(content, entry.body);
    staged.files.set(name, digest);
    staged.digests.add(digest);
  }
  for (const [from, to] of links) {
    const digest = staged.files.get(to);
    if (digest) staged.files.set(from, digest);
  }
  return staged;
}

/** Writes a stream into the content store, hashing it; returns its digest. */
async function ingestFile(content: ContentStore, body: AsyncIterable<Uint8Array>): Promise<string> {
  const tmp = path.join(content.ingestDir, `import-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const hasher = new Bun.CryptoHasher("sha256");
  const file = await fsp.open(tmp, "wx", 0o600);
  try {
    for await (const chunk of body) {
      hasher.update(chunk);
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
  const digest = `sha256:${hasher.digest("hex")}`;
  if (content.has(digest)) await fsp.rm(tmp, { force: true });
  else await content.commit(digest, tmp);
  return digest;
}
