import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** A digest checked to be `sha256:<64 hex>`; anything else never becomes a path. */
export function digestHex(digest: string, field = "digest"): string {
  const m = DIGEST.exec(digest);
  if (!m?.[1]) throw new InvalidArgumentError(field, `"${digest}" is not a sha256 digest`);
  return m[1];
}

/**
 * Blobs (manifests, configs, compressed layers) on disk, by digest:
 * `<dir>/blobs/sha256/<hex>`. A blob becomes visible only by an atomic rename from
 * `<dir>/ingest/` once its digest and size were verified, so a reader never sees half a
 * blob and a crash leaves only ingest files, which `cleanIngest` removes at start.
 * Ingest files are named by digest so a download broken by a restart can resume.
 */
export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = path.join(dir, "blobs/sha256");
    this.ingestDir = path.join(dir, "ingest");
    fs.mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, digestHex(digest));
  }

  /** Where a download of `digest` is written before it is verified. */
  ingestPath(digest: string): string {
    return path.join(this.ingestDir, digestHex(digest));
  }

  /** True when the blob is on disk with the expected size (when given). */
  has(digest: string, size?: number): boolean {
    try {
      const st = fs.statSync(this.blobPath(digest));
      return size === undefined || st.size === size;
    } catch {
      return false;
    }
  }

  /**
   * Moves a verified ingest file into place. The caller has checked digest and size.
   * Idempotent: when two pulls shared one download, the second finds the ingest file
   * gone and the blob in place, and that is success.
   */
  async commit(digest: string, from = this.ingestPath(digest)): Promise<string> {
    const to = this.blobPath(digest);
    try {
      await fsp.chmod(from, 0o400);
      await fsp.rename(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || !this.has(digest)) throw err;
    }
    return to;
  }

  /** Writes bytes whose digest has been verified by the caller (manifests, configs). */
  async writeVerified(digest: string, bytes: Uint8Array): Promise<string> {
    if (this.has(digest, bytes.length)) return this.blobPath(digest);
    const tmp = `${this.ingestPath(digest)}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await Bun.write(tmp, bytes);
    return this.commit(digest, tmp);
  }

  /** Reads a whole blob (for manifests and configs, which are small). */
  async read(digest: string, maxBytes = 16 * 1024 * 1024): Promise<Uint8Array> {
    const file = Bun.file(this.blobPath(digest));
    if (!(await file.exists())) throw new NotFoundError(`blob "${digest}" not found in the content store`);
    if (file.size > maxBytes) throw new InvalidArgumentError("digest", `blob "${digest}" is larger than ${maxBytes} bytes`);
    return new Uint8Array(await file.arrayBuffer());
  }

  /** A stream of the blob's bytes (for unpacking and export). */
  stream(digest: string): ReadableStream<Uint8Array> {
    return Bun.file(this.blobPath(digest)).stream();
  }

  async delete(digest: string): Promise<void> {
    await fsp.rm(this.blobPath(digest), { force: true });
  }

  /** Digests of every blob on disk. */
  async list(): Promise<string[]> {
    const names = await fsp.readdir(this.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes leftover ingest files (all, or those not in `keep`). */
  async cleanIngest(keep: ReadonlySet<string> = new Set()): Promise<number> {
    let removed = 0;
    for (const name of await fsp.readdir(this.ingestDir).catch(() => [] as string[])) {
      if (keep.has(name)) continue;
      await fsp.rm(path.join(this.ingestDir, name), { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  /** Bytes and files the content store holds on disk. */
  async usage(): Promise<{ bytes: number; inodes: number }> {
    let bytes = 0;
    let inodes = 0;
    for (const dir of [this.blobsDir, this.ingestDir]) {
      for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
        const st = await fsp.lstat(path.join(dir, name)).catch(() => undefined);
        if (!st) continue;
        bytes += st.blocks * 512;
        inodes++;
      }
    }
    return { bytes, inodes };
  }
}
