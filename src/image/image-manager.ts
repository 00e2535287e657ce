import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { Logger } from "../logger.ts";
import type { Config } from "../config/index.ts";
import type { Platform } from "../platform/types.ts";
import type { LayerSnapshots } from "../snapshot/layer-snapshots.ts";
import { OverlaySnapshots } from "../snapshot/overlay-snapshots.ts";
import { WindowsLayerSnapshots } from "../snapshot/windows-layer-snapshots.ts";
import type { ImageRecord, Store } from "../store/index.ts";
import { NotFoundError, describeError } from "../errors.ts";
import { exportArchive } from "./archive/export.ts";
import { importArchive } from "./archive/import.ts";
import { ContentStore } from "./content-store.ts";
import type { InstallDeps } from "./install.ts";
import type { ByteSource } from "./unpack/index.ts";
import type { LayerUnpacker } from "./unpack/worker-unpacker.ts";
import { Leases } from "./leases.ts";
import type { WantedPlatform } from "./platform-select.ts";
import { type PullOptions, pullImage } from "./pull.ts";
import { PullEvents } from "./pull-events.ts";
import { parseImageReference } from "./reference.ts";
import { type AuthConfig, createRegistryClient, createTokenCache } from "./registry/index.ts";
import { registryConfigFrom } from "./registry-config.ts";

export type ImageManagerDeps = {
  config: Config;
  store: Store;
  platform: Platform;
  /** The platform images are pulled for (this node's). */
  want: WantedPlatform;
  log: Logger;
  /** Layer unpacking off the main thread (workers); in-process when unset. */
  unpack?: LayerUnpacker;
  /** Layers unpacked at once. */
  unpackConcurrency?: number;
};

export type GcResult = { blobs: number; snapshots: number; bytes: number };

/**
 * The image service's logic, below the CRI handlers: pull, look up, remove, collect
 * garbage and account disk use. Blobs live in `<root>/content`, unpacked layers in
 * `<root>/snapshots`; the store says which image needs which.
 */
export class ImageManager {
  readonly content: ContentStore;
  readonly snapshots: LayerSnapshots;
  readonly #leases = new Leases();
  /** Progress of pulls in flight, for skiff.v1.Images/WatchPull. */
  readonly events = new PullEvents();
  readonly #tokens = createTokenCache();
  readonly #pinned: ReadonlySet<string>;

  constructor(private readonly deps: ImageManagerDeps) {
    this.content = new ContentStore(path.join(deps.config.paths.root, "content"));
    const snapshotDir = path.join(deps.config.paths.root, "snapshots");
    // Windows layers are vmcompute layer folders; everywhere else, overlay lower dirs.
    const windows = deps.platform.windows;
    this.snapshots = windows ? new WindowsLayerSnapshots(snapshotDir, windows.layers) : new OverlaySnapshots(snapshotDir);
    const sandbox = deps.config.image.sandboxImage;
    this.#pinned = new Set(sandbox ? pinnedNames(sandbox) : []);
  }

  #installDeps(): InstallDeps {
    return {
      store: this.deps.store,
      content: this.content,
      snapshots: this.snapshots,
      platform: this.deps.platform,
      leases: this.#leases,
      maxLayerBytes: this.deps.config.image.maxLayerBytes,
      pinned: this.#pinned,
      unpack: this.deps.unpack,
      unpackConcurrency: this.deps.unpackConcurrency,
    };
  }

  /** Loads an OCI layout or `docker save` archive (plain, gzip or zstd). */
  async import(source: ByteSource): Promise<ImageRecord[]> {
    const started = performance.now();
    // An archive holds whole images: bound it by the per-layer limit times a generous factor.
    const maxArchiveBytes = this.deps.config.image.maxLayerBytes * 4;
    const images = await importArchive({ ...this.#installDeps(), want: this.deps.want, maxArchiveBytes }, source).finally(() =>
      this.gc().catch(() => undefined),
    );
    const names = images.map((i) => i.refs.find((r) => !r.includes("@")) ?? i.id);
    this.deps.log.info(`imported ${names.join(", ") || "no images"} in ${(performance.now() - started).toFixed(0)}ms`);
    return images;
  }

  /** Streams the named images as one OCI archive; every name must resolve. */
  export(names: string[]): AsyncGenerator<Uint8Array> {
    const images = names.map((n) => {
      const img = this.resolve(n);
      if (!img) throw new NotFoundError(`image "${n}" not found`);
      return img;
    });
    return exportArchive(this.content, images);
  }

  /**
   * Imports every archive in the import directory (`image.import_dir`), for air-gapped
   * nodes: drop archives in and restart. An archive is imported again only when its size
   * or modification time changed; a bad archive is logged and skipped.
   */
  async importDir(): Promise<number> {
    const dir = this.deps.config.image.importDir;
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    let imported = 0;
    for (const name of names.sort()) {
      if (name.startsWith(".")) continue;
      const file = path.join(dir, name);
      const st = await fsp.stat(file).catch(() => undefined);
      if (!st?.isFile()) continue;
      const key = `import:${name}`;
      const stamp = `${st.size}:${Math.trunc(st.mtimeMs)}`;
      if (this.deps.store.runtimeState.get(key) === stamp) continue;
      try {
        await this.import(Bun.file(file).stream());
        this.deps.store.runtimeState.set(key, stamp);
        imported++;
      } catch (err) {
        this.deps.log.warn(`import of ${file} failed: ${describeError(err)}`);
      }
    }
    return imported;
  }

  /** Pulls `image` (any form the kubelet sends) with the request's credentials. */
  async pull(image: string, auth?: AuthConfig, opts: PullOptions = {}): Promise<ImageRecord> {
    const ref = parseImageReference(image, "image.image");
    const { config } = this.deps;
    const client = createRegistryClient({ config: registryConfigFrom(config), auth, tokens: this.#tokens });
    const started = performance.now();
    const onEvent: PullOptions["onEvent"] = (e) => {
      opts.onEvent?.(e);
      this.events.emit(ref.full, e);
    };
    const img = await pullImage(
      {
        ...this.#installDeps(),
        want: this.deps.want,
        concurrency: config.image.pullConcurrency,
        progressTimeoutMs: config.image.progressTimeoutMs,
      },
      client,
      ref,
      { ...opts, onEvent },
    ).catch((err) => {
      this.events.emit(ref.full, { kind: "failed", message: err instanceof Error ? err.message : String(err) });
      throw err;
    });
    this.events.emit(ref.full, { kind: "done", id: img.id });
    this.deps.log.info(`pulled ${ref.full} as ${img.id} in ${(performance.now() - started).toFixed(0)}ms`);
    return img;
  }

  /**
   * Finds an image by what a kubelet or an operator may call it: its id (with or without
   * `sha256:`), a unique id prefix, a repo tag or repo digest in any normalizable form.
   * Returns undefined when nothing matches; an ambiguous prefix matches nothing.
   */
  resolve(name: string): ImageRecord | undefined {
    const { images } = this.deps.store;
    const trimmed = name.trim();
    if (/^sha256:[0-9a-f]{64}$/.test(trimmed)) return images.find(trimmed);
    if (/^[0-9a-f]{64}$/.test(trimmed)) return images.find(`sha256:${trimmed}`);
    try {
      const byRef = images.findByRef(parseImageReference(trimmed).full);
      if (byRef) return byRef;
    } catch {
      // not a reference; maybe a short id
    }
    const hex = trimmed.replace(/^sha256:/, "");
    if (/^[0-9a-f]{6,63}$/.test(hex)) {
      const found = images.findByIdPrefix(`sha256:${hex}`);
      if (found.length === 1) return found[0];
    }
    return undefined;
  }

  list(): ImageRecord[] {
    return this.deps.store.images.list();
  }

  /**
   * Removes an image. By id or repo digest the whole image goes; by tag only that tag,
   * and the image with it when no other tag is left (its repo digests alone do not keep
   * it, as a kubelet expects after `rmi tag`). Idempotent: an unknown name is not an error
   * (api.proto: RemoveImage "must not return an error if the image has already been
   * removed"). Blobs and snapshots nothing else uses are freed.
   */
  async remove(name: string): Promise<boolean> {
    const img = this.resolve(name);
    if (!img) return false;
    const { images } = this.deps.store;
    let tagRef: string | undefined;
    try {
      const ref = parseImageReference(name);
      if (!ref.digest && img.refs.includes(ref.full) && !/^(sha256:)?[0-9a-f]{6,64}$/.test(name.trim())) tagRef = ref.full;
    } catch {
      // an id: remove the whole image
    }
    this.deps.store.transaction(() => {
      if (tagRef) {
        const left = images.removeRef(tagRef);
        if (left.some((r) => !r.includes("@"))) return;
      }
      images.delete(img.id);
    });
    await this.gc();
    return true;
  }

  /**
   * Frees blobs and snapshots no image needs, and files on disk the store does not know
   * (what a crash left). Never touches what a pull in progress holds.
   */
  /** Chain ids that containers and sandbox infra rootfs stand on (recorded as `info.chainId`). */
  #heldByPods(): string[] {
    const { store } = this.deps;
    const held = [...store.containers.list(), ...store.sandboxes.list()].map((r) => (r.info as { chainId?: unknown }).chainId);
    return held.filter((c): c is string => typeof c === "string");
  }

  async gc(): Promise<GcResult> {
    const { images } = this.deps.store;
    const result: GcResult = { blobs: 0, snapshots: 0, bytes: 0 };
    for (const s of images.unusedSnapshots([...this.#leases.keys(), ...this.#heldByPods()])) {
      if (this.#leases.has(s.chainId)) continue;
      result.bytes += s.size;
      await this.snapshots.remove(s.chainId);
      images.deleteSnapshot(s.chainId);
      result.snapshots++;
    }
    for (const b of images.unusedBlobs()) {
      if (this.#leases.has(b.digest)) continue;
      result.bytes += b.size;
      await this.content.delete(b.digest);
      images.deleteBlob(b.digest);
      result.blobs++;
    }
    const knownBlobs = images.allBlobDigests();
    for (const digest of await this.content.list()) {
      if (knownBlobs.has(digest) || this.#leases.has(digest)) continue;
      await this.content.delete(digest);
      result.blobs++;
    }
    for (const chainId of await this.snapshots.list()) {
      if (images.findSnapshot(chainId) || this.#leases.has(chainId)) continue;
      await this.snapshots.remove(chainId);
      result.snapshots++;
    }
    if (result.blobs + result.snapshots > 0) {
      this.deps.log.debug(`gc freed ${result.blobs} blobs and ${result.snapshots} snapshots`);
    }
    return result;
  }

  /** Start-up recovery: drop half-written downloads and unpacks, then collect garbage. */
  async recover(): Promise<GcResult> {
    const ingest = await this.content.cleanIngest();
    const temp = await this.snapshots.cleanTemp();
    if (ingest + temp > 0) this.deps.log.info(`removed ${ingest} partial downloads and ${temp} partial unpacks`);
    return this.gc();
  }

  /** Bytes and inodes the image store uses: unpacked layers plus the content store. */
  async usage(): Promise<{ bytes: number; inodes: number }> {
    const snaps = this.deps.store.images.snapshotUsage();
    const content = await this.content.usage();
    return { bytes: snaps.bytes + content.bytes, inodes: snaps.inodes + content.inodes };
  }
}

/** The names a configured sandbox image may be recorded under. */
function pinnedNames(image: string): string[] {
  try {
    return [parseImageReference(image).full];
  } catch {
    return [];
  }
}
