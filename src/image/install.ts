import { InvalidArgumentError } from "../errors.ts";
import type { Platform } from "../platform/types.ts";
import { chainIds } from "../snapshot/chain-id.ts";
import type { LayerSnapshots } from "../snapshot/layer-snapshots.ts";
import type { ImageRecord, Store } from "../store/index.ts";
import type { ContentStore } from "./content-store.ts";
import type { Leases } from "./leases.ts";
import { createLimiter } from "./limit.ts";
import type { Descriptor, ImageConfig, ImageManifest } from "./manifest.ts";
import { runUnpackJob } from "./unpack/run-job.ts";
import type { ApplyLayerResult } from "./unpack/apply-layer.ts";
import type { LayerUnpacker } from "./unpack/worker-unpacker.ts";

/** What installing an image needs from the daemon. */
export type InstallDeps = {
  store: Store;
  content: ContentStore;
  snapshots: LayerSnapshots;
  platform: Platform;
  leases: Leases;
  maxLayerBytes: number;
  /** Names that are pinned (the sandbox image): never collected. */
  pinned: ReadonlySet<string>;
  /** How layers are unpacked; in-process with `platform` by default, workers in the daemon. */
  unpack?: LayerUnpacker;
  /** Layers unpacked at once (each into its own directory, so order does not matter). */
  unpackConcurrency?: number;
};

/** Unpacks on the calling thread, with the deps' platform (tests, fake platforms). */
function inlineUnpacker(deps: InstallDeps): LayerUnpacker {
  return (job, signal) => runUnpackJob(deps.platform, job, signal);
}

export type InstallInput = {
  /** The manifest (or index) the image was asked for by: its digest is the repo digest. */
  top: Descriptor;
  /** The manifests stored for this image (index and platform manifest, or just one). */
  manifests: Descriptor[];
  manifest: ImageManifest;
  configBytes: Uint8Array;
  config: ImageConfig;
  /** Repo tags and repo digests to record. */
  refs: string[];
  /** Resolves when layer `i`'s blob is in the content store (a pull downloads meanwhile). */
  layerReady: (i: number) => Promise<void>;
  signal?: AbortSignal;
  onUnpacked?: (desc: Descriptor, chainId: string, cached: boolean) => void;
};

/**
 * Turns blobs in the content store into an image: unpacks each layer not already
 * unpacked (in order, each as soon as its blob is ready), checks it against the config's
 * diff id, then records the image, its names and the blobs it needs in one transaction.
 * The manifests and config must already be in the content store.
 */
export async function installImage(deps: InstallDeps, input: InstallInput): Promise<ImageRecord> {
  const { manifest, config } = input;
  const layers = manifest.layers;
  if (config.rootfs.diffIds.length !== layers.length) {
    throw new InvalidArgumentError(
      "image",
      `the manifest has ${layers.length} layers but the config lists ${config.rootfs.diffIds.length} diff ids`,
    );
  }
  const chains = chainIds(config.rootfs.diffIds);
  const release = deps.leases.hold([...input.manifests.map((d) => d.digest), manifest.config.digest, ...layers.map((l) => l.digest), ...chains]);
  try {
    // Each layer unpacks into its own directory, so layers unpack in parallel as their
    // blobs arrive; each is committed once the layer below it is (a Windows layer is
    // imported over its parents), outside the unpack limit so a waiting layer holds no slot.
    const limit = createLimiter(Math.max(1, deps.unpackConcurrency ?? 1));
    const unpacked: Promise<Snapshot | undefined>[] = [];
    layers.forEach((desc, i) => {
      unpacked.push(
        (async (): Promise<Snapshot | undefined> => {
          await input.layerReady(i);
          const chainId = chains[i] as string;
          if (deps.snapshots.exists(chainId) && deps.store.images.findSnapshot(chainId)) {
            input.onUnpacked?.(desc, chainId, true);
            return undefined;
          }
          const staged = await limit(() => unpackOne(deps, desc, config.rootfs.diffIds[i] as string, input.signal));
          try {
            if (i > 0) await unpacked[i - 1];
            const parents = chains.slice(0, i).reverse();
            await deps.snapshots.commit(staged.tmp, chainId, parents, staged.result.tombstones);
          } catch (err) {
            await deps.snapshots.discard(staged.tmp);
            throw new Error(`unpack layer ${desc.digest}`, { cause: err });
          }
          input.onUnpacked?.(desc, chainId, false);
          const { size, entries } = staged.result;
          return { chainId, parent: i === 0 ? null : (chains[i - 1] as string), diffId: config.rootfs.diffIds[i] as string, path: deps.snapshots.fsOf(chainId), size, inodes: entries };
        })(),
      );
    });
    for (const u of unpacked) u.catch(() => {});
    const snaps = await Promise.all(unpacked);
    const all = [...input.manifests, manifest.config, ...layers];
    return deps.store.transaction(() => {
      for (const snap of snaps) if (snap) deps.store.images.putSnapshot(snap);
      for (const d of all) deps.store.images.putBlob({ digest: d.digest, size: d.size, mediaType: d.mediaType });
      return deps.store.images.put({
        id: manifest.config.digest,
        manifestDigest: input.top.digest,
        size: all.reduce((n, d) => n + d.size, 0),
        config: JSON.parse(new TextDecoder().decode(input.configBytes)),
        chainId: chains.at(-1) ?? null,
        pinned: input.refs.some((r) => deps.pinned.has(r)),
        info: {
          mediaType: input.top.mediaType,
          platform: { os: config.os, architecture: config.architecture, variant: config.variant ?? "" },
          manifests: input.manifests.map((d) => ({ digest: d.digest, mediaType: d.mediaType, size: d.size })),
          layers: layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: config.rootfs.diffIds[i] ?? "" })),
          chainIds: chains,
        },
        refs: input.refs,
        blobs: [...new Set(all.map((d) => d.digest))],
      });
    });
  } finally {
    release();
  }
}

type Snapshot = Parameters<Store["images"]["putSnapshot"]>[0];

/** Unpacks one layer blob into a temp dir and checks its diff id; the caller commits it. */
async function unpackOne(
  deps: InstallDeps,
  desc: Descriptor,
  diffId: string,
  signal?: AbortSignal,
): Promise<{ tmp: string; result: ApplyLayerResult }> {
  const { tmp, fs: dest } = await deps.snapshots.prepare();
  try {
    const unpack = deps.unpack ?? inlineUnpacker(deps);
    // The unpacker's own counts (bytes of file data written, entries made) are the
    // snapshot's size: a walk of the tree would cost as much again as the unpack on a
    // layer of many small files.
    const result = await unpack(
      { dest, blobPath: deps.content.blobPath(desc.digest), mediaType: desc.mediaType, maxBytes: deps.maxLayerBytes, expectedDiffId: diffId, blobVerified: true, layout: deps.snapshots.layout },
      signal,
    );
    return { tmp, result };
  } catch (err) {
    await deps.snapshots.discard(tmp);
    throw new Error(`unpack layer ${desc.digest}`, { cause: err });
  }
}
