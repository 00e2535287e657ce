import type { Database } from "bun:sqlite";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { Clock } from "./clock.ts";
import { decodeJson, encodeJson, type JsonObject } from "./json.ts";

/** One unpacked layer: a directory holding the layer's files, keyed by its chain id. */
export type SnapshotRecord = {
  chainId: string;
  parent: string | null;
  diffId: string;
  path: string;
  /** Bytes of file data the unpacked layer holds. */
  size: number;
  /** Entries (files, dirs, links, devices) the unpacked layer holds. */
  inodes: number;
  createdAt: bigint;
};

/** A blob in the content store. */
export type BlobRecord = { digest: string; size: number; mediaType: string };

/** An image: what CRI lists, keyed by its config digest (the image id). */
export type ImageRecord = {
  id: string;
  manifestDigest: string;
  /** Sum of the sizes of the image's blobs (manifest, config, compressed layers). */
  size: number;
  /** The image config JSON (env, user, entrypoint, cmd, rootfs...). */
  config: JsonObject;
  /** Chain id of the top layer's snapshot; null for an image with no layers. */
  chainId: string | null;
  pinned: boolean;
  createdAt: bigint;
  /** Extra facts for verbose status: manifest media type, layer descriptors, platform. */
  info: JsonObject;
  /** Repo tags and repo digests that name this image. */
  refs: string[];
};

export type NewImage = Omit<ImageRecord, "createdAt" | "refs"> & {
  refs: string[];
  /** Every blob the image needs; they must be recorded with `putBlob` first or in the same transaction. */
  blobs: string[];
};

type ImageRow = {
  id: string;
  manifest_digest: string;
  size: number;
  config: string;
  chain_id: string | null;
  pinned: number;
  created_at: bigint;
  info: string;
};

/** Images, their names, the blobs they need and the snapshots they stand on. */
export class ImageStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  #toRecord(row: ImageRow): ImageRecord {
    return {
      id: row.id,
      manifestDigest: row.manifest_digest,
      size: row.size,
      config: decodeJson(row.config, `images.config of "${row.id}"`),
      chainId: row.chain_id,
      pinned: row.pinned === 1,
      createdAt: BigInt(row.created_at),
      info: decodeJson(row.info, `images.info of "${row.id}"`),
      refs: this.refsOf(row.id),
    };
  }

  refsOf(imageId: string): string[] {
    return this.db
      .query<{ ref: string }, [string]>("SELECT ref FROM image_refs WHERE image_id = ?1 ORDER BY ref")
      .all(imageId)
      .map((r) => r.ref);
  }

  find(id: string): ImageRecord | undefined {
    const row = this.db.query<ImageRow, [string]>("SELECT * FROM images WHERE id = ?1").get(id);
    return row ? this.#toRecord(row) : undefined;
  }

  /** The image a name (repo tag or repo digest) points at. */
  findByRef(ref: string): ImageRecord | undefined {
    const row = this.db
      .query<ImageRow, [string]>("SELECT images.* FROM images JOIN image_refs ON image_refs.image_id = images.id WHERE ref = ?1")
      .get(ref);
    return row ? this.#toRecord(row) : undefined;
  }

  get(id: string): ImageRecord {
    const img = this.find(id);
    if (!img) throw new NotFoundError(`image "${id}" not found`);
    return img;
  }

  /** Images whose id starts with `prefix` (a short id as `crictl images` shows). */
  findByIdPrefix(prefix: string): ImageRecord[] {
    const rows = this.db
      .query<ImageRow, [string]>("SELECT * FROM images WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 2")
      .all(prefix);
    return rows.map((r) => this.#toRecord(r));
  }

  list(): ImageRecord[] {
    return this.db
      .query<ImageRow, []>("SELECT * FROM images ORDER BY created_at, id")
      .all()
      .map((r) => this.#toRecord(r));
  }

  /** Records a blob (idempotent) and marks it used now. */
  putBlob(blob: BlobRecord): void {
    const now = this.clock();
    this.db
      .query(
        `INSERT INTO blobs (digest, size, media_type, created_at, last_used) VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (digest) DO UPDATE SET last_used = excluded.last_used`,
      )
      .run(blob.digest, blob.size, blob.mediaType, now);
  }

  hasBlob(digest: string): boolean {
    return this.db.query("SELECT 1 FROM blobs WHERE digest = ?1").get(digest) !== null;
  }

  findSnapshot(chainId: string): SnapshotRecord | undefined {
    const row = this.db
      .query<
        { chain_id: string; parent: string | null; diff_id: string; path: string; size: number; inodes: number; created_at: bigint },
        [string]
      >("SELECT * FROM snapshots WHERE chain_id = ?1")
      .get(chainId);
    if (!row) return undefined;
    return {
      chainId: row.chain_id,
      parent: row.parent,
      diffId: row.diff_id,
      path: row.path,
      size: row.size,
      inodes: row.inodes,
      createdAt: BigInt(row.created_at),
    };
  }

  /** Records an unpacked snapshot; its parent must be recorded already. Idempotent. */
  putSnapshot(s: Omit<SnapshotRecord, "createdAt">): void {
    this.db
      .query(
        `INSERT INTO snapshots (chain_id, parent, diff_id, path, size, inodes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (chain_id) DO NOTHING`,
      )
      .run(s.chainId, s.parent, s.diffId, s.path, s.size, s.inodes, this.clock());
  }

  /** Snapshots from the top one down to the base layer. */
  snapshotChain(chainId: string): SnapshotRecord[] {
    const chain: SnapshotRecord[] = [];
    let cur: string | null = chainId;
    while (cur) {
      const s = this.findSnapshot(cur);
      if (!s) throw new NotFoundError(`snapshot "${cur}" not found`);
      chain.push(s);
      cur = s.parent;
    }
    return chain;
  }

  /**
   * Records a pulled or imported image with its names, in one transaction. A name that
   * pointed at another image moves to this one (a tag follows the newest pull).
   */
  put(img: NewImage): ImageRecord {
    const tx = this.db.transaction(() => {
      this.db
        .query(
          `INSERT INTO images (id, manifest_digest, size, config, chain_id, pinned, created_at, info)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
           ON CONFLICT (id) DO UPDATE SET manifest_digest = excluded.manifest_digest, size = excluded.size,
             config = excluded.config, chain_id = excluded.chain_id, pinned = max(images.pinned, excluded.pinned),
             info = excluded.info`,
        )
        .run(
          img.id,
          img.manifestDigest,
          img.size,
          encodeJson(img.config, "images.config"),
          img.chainId,
          img.pinned ? 1 : 0,
          this.clock(),
          encodeJson(img.info, "images.info"),
        );
      for (const digest of img.blobs) {
        this.db.query("INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?1, ?2)").run(img.id, digest);
      }
      for (const ref of img.refs) {
        this.db
          .query("INSERT INTO image_refs (ref, image_id) VALUES (?1, ?2) ON CONFLICT (ref) DO UPDATE SET image_id = excluded.image_id")
          .run(ref, img.id);
      }
    });
    tx.immediate();
    return this.get(img.id);
  }

  setPinned(id: string, pinned: boolean): void {
    this.db.query("UPDATE images SET pinned = ?2 WHERE id = ?1").run(id, pinned ? 1 : 0);
  }

  /** Removes one name; returns the image's remaining names. */
  removeRef(ref: string): string[] {
    const row = this.db.query<{ image_id: string }, [string]>("SELECT image_id FROM image_refs WHERE ref = ?1").get(ref);
    if (!row) return [];
    this.db.query("DELETE FROM image_refs WHERE ref = ?1").run(ref);
    return this.refsOf(row.image_id);
  }

  /** Removes an image and its names (its blob links go with it). @returns false if absent */
  delete(id: string): boolean {
    return this.db.query("DELETE FROM images WHERE id = ?1").run(id).changes > 0;
  }

  /** Blobs no image needs any more. */
  unusedBlobs(): BlobRecord[] {
    return this.db
      .query<{ digest: string; size: number; media_type: string }, []>(
        "SELECT digest, size, media_type FROM blobs WHERE digest NOT IN (SELECT digest FROM image_blobs)",
      )
      .all()
      .map((r) => ({ digest: r.digest, size: r.size, mediaType: r.media_type }));
  }

  deleteBlob(digest: string): void {
    this.db.query("DELETE FROM blobs WHERE digest = ?1").run(digest);
  }

  allBlobDigests(): Set<string> {
    return new Set(this.db.query<{ digest: string }, []>("SELECT digest FROM blobs").all().map((r) => r.digest));
  }

  /**
   * Snapshots no image stands on, children first, so deleting them in order never
   * breaks a parent link. `inUse` adds chain ids held by something else (containers).
   */
  unusedSnapshots(inUse: Iterable<string> = []): SnapshotRecord[] {
    const all = this.db.query<{ chain_id: string }, []>("SELECT chain_id FROM snapshots").all().map((r) => r.chain_id);
    const live = new Set<string>();
    const tops = this.db.query<{ chain_id: string }, []>("SELECT chain_id FROM images WHERE chain_id IS NOT NULL").all();
    for (const top of [...tops.map((t) => t.chain_id), ...inUse]) {
      let cur: string | null = top;
      while (cur && !live.has(cur)) {
        live.add(cur);
        cur = this.findSnapshot(cur)?.parent ?? null;
      }
    }
    const dead = all.filter((c) => !live.has(c)).map((c) => this.findSnapshot(c) as SnapshotRecord);
    // Children before parents: a snapshot deeper in a chain goes first.
    const depth = (s: SnapshotRecord): number => (s.parent ? 1 + depth(this.findSnapshot(s.parent) as SnapshotRecord) : 0);
    return dead.sort((a, b) => depth(b) - depth(a));
  }

  deleteSnapshot(chainId: string): void {
    const child = this.db.query("SELECT 1 FROM snapshots WHERE parent = ?1").get(chainId);
    if (child) throw new FailedPreconditionError(`snapshot "${chainId}" still has children`);
    this.db.query("DELETE FROM snapshots WHERE chain_id = ?1").run(chainId);
  }

  allSnapshotPaths(): Set<string> {
    return new Set(this.db.query<{ path: string }, []>("SELECT path FROM snapshots").all().map((r) => r.path));
  }

  /** Sum of snapshot sizes and inodes, for ImageFsInfo. */
  snapshotUsage(): { bytes: number; inodes: number } {
    const row = this.db
      .query<{ bytes: number | null; inodes: number | null }, []>("SELECT sum(size) AS bytes, sum(inodes) AS inodes FROM snapshots")
      .get();
    return { bytes: row?.bytes ?? 0, inodes: row?.inodes ?? 0 };
  }
}

/** Refuses an image id that is not `sha256:<64 hex>`. */
export function checkImageId(id: string, field: string): void {
  if (!/^sha256:[0-9a-f]{64}$/.test(id)) throw new InvalidArgumentError(field, `"${id}" is not an image id`);
}
