import * as path from "node:path";
import { InvalidArgumentError, NotSupportedError } from "../errors.ts";
import type { Platform } from "../platform/types.ts";
import { chainIds } from "../snapshot/chain-id.ts";
import { type OverlaySnapshots, diskUsage } from "../snapshot/overlay-snapshots.ts";
import type { ImageRecord, Store } from "../store/index.ts";
import type { ContentStore } from "./content-store.ts";
import type { Leases } from "./leases.ts";
import { createLimiter } from "./limit.ts";
import { type Descriptor, type ImageManifest, parseImageConfig } from "./manifest.ts";
import { isNonDistributable } from "./media-types.ts";
import { type WantedPlatform, selectManifest } from "./platform-select.ts";
import { type ImageReference, repoDigest, repoTag } from "./reference.ts";
import type { RegistryClient } from "./registry/index.ts";
import { applyLayer } from "./unpack/index.ts";

/** Progress events for `skiff pull`'s per-layer bars and the daemon log. */
export type PullEvent =
  | { kind: "resolved"; manifest: string; layers: { digest: string; size: number }[] }
  | { kind: "download"; digest: string; received: number; total: number }
  | { kind: "downloaded"; digest: string; cached: boolean }
  | { kind: "unpacked"; digest: string; chainId: string; cached: boolean };

export type PullDeps = {
  store: Store;
  content: ContentStore;
  snapshots: OverlaySnapshots;
  platform: Platform;
  leases: Leases;
  want: WantedPlatform;
  concurrency: number;
  progressTimeoutMs: number;
  maxLayerBytes: number;
  /** Names that are pinned (the sandbox image): never collected. */
  pinned: ReadonlySet<string>;
};

export type PullOptions = { signal?: AbortSignal; onEvent?: (e: PullEvent) => void };

/**
 * Pulls one image: manifest (through an index to this node's platform), config, layers
 * (downloaded concurrently, each verified), then unpacks each layer as soon as it and
 * the layer below it are ready. Everything lands under temp names first and is recorded
 * in the store in one transaction at the end, so a failure or a crash leaves nothing a
 * restart's garbage collection does not remove.
 */
export async function pullImage(
  deps: PullDeps,
  client: RegistryClient,
  ref: ImageReference,
  opts: PullOptions = {},
): Promise<ImageRecord> {
  const emit = opts.onEvent ?? (() => {});
  const repo = { registry: ref.registry, repository: ref.repository };
  const top = await client.getManifest({ ...repo, tag: ref.tag, digest: ref.digest }, { signal: opts.signal });
  const stored: Descriptor[] = [top.descriptor];
  const blobs: { desc: Descriptor; bytes: Uint8Array }[] = [{ desc: top.descriptor, bytes: top.bytes }];
  let manifest: ImageManifest;
  if (top.parsed.kind === "index") {
    const chosen = selectManifest(top.parsed, deps.want);
    const m = await client.getManifest({ ...repo, digest: chosen.digest }, { signal: opts.signal, expected: chosen });
    if (m.parsed.kind !== "manifest") throw new NotSupportedError(`${ref.full}: an index inside an index is not supported`);
    manifest = m.parsed;
    stored.push(m.descriptor);
    blobs.push({ desc: m.descriptor, bytes: m.bytes });
  } else {
    manifest = top.parsed;
  }

  const configBytes = await client.getBlobBytes(repo, manifest.config, { signal: opts.signal });
  const config = parseImageConfig(configBytes);
  const layers = manifest.layers;
  if (config.rootfs.diffIds.length !== layers.length) {
    throw new InvalidArgumentError(
      "image",
      `${ref.full}: the manifest has ${layers.length} layers but the config lists ${config.rootfs.diffIds.length} diff ids`,
    );
  }
  for (const l of layers) {
    if (isNonDistributable(l.mediaType) && (l.urls?.length ?? 0) > 0) {
      throw new NotSupportedError(`${ref.full}: layer ${l.digest} is a foreign layer fetched from URLs; not supported`);
    }
  }
  blobs.push({ desc: manifest.config, bytes: configBytes });
  const chains = chainIds(config.rootfs.diffIds);
  emit({ kind: "resolved", manifest: top.descriptor.digest, layers: layers.map((l) => ({ digest: l.digest, size: l.size })) });

  const release = deps.leases.hold([...blobs.map((b) => b.desc.digest), ...layers.map((l) => l.digest), ...chains]);
  try {
    for (const b of blobs) await deps.content.writeVerified(b.desc.digest, b.bytes);

    const limit = createLimiter(Math.max(1, deps.concurrency));
    const downloads = layers.map((desc) =>
      limit(async () => {
        if (deps.content.has(desc.digest, desc.size)) {
          emit({ kind: "downloaded", digest: desc.digest, cached: true });
          return;
        }
        await client.fetchBlob(repo, desc, deps.content.ingestPath(desc.digest), {
          signal: opts.signal,
          progressTimeoutMs: deps.progressTimeoutMs,
          onProgress: (received, total) => emit({ kind: "download", digest: desc.digest, received, total }),
        });
        if (!deps.content.has(desc.digest, desc.size)) await deps.content.commit(desc.digest);
        emit({ kind: "downloaded", digest: desc.digest, cached: false });
      }),
    );
    // A rejected download must not go unobserved while an earlier unpack is running.
    for (const d of downloads) d.catch(() => {});

    for (const [i, desc] of layers.entries()) {
      await downloads[i];
      const chainId = chains[i] as string;
      const parent = i === 0 ? null : (chains[i - 1] as string);
      if (deps.snapshots.exists(chainId) && deps.store.images.findSnapshot(chainId)) {
        emit({ kind: "unpacked", digest: desc.digest, chainId, cached: true });
        continue;
      }
      await unpackOne(deps, desc, config.rootfs.diffIds[i] as string, chainId, parent, opts.signal);
      emit({ kind: "unpacked", digest: desc.digest, chainId, cached: false });
    }
    await Promise.all(downloads);

    const all = [...blobs.map((b) => b.desc), ...layers];
    const refs = [repoDigest(repo, top.descriptor.digest)];
    const tag = ref.digest ? undefined : repoTag(ref);
    if (tag) refs.push(tag);
    const id = manifest.config.digest;
    return deps.store.transaction(() => {
      for (const d of all) deps.store.images.putBlob({ digest: d.digest, size: d.size, mediaType: d.mediaType });
      return deps.store.images.put({
        id,
        manifestDigest: top.descriptor.digest,
        size: all.reduce((n, d) => n + d.size, 0),
        config: JSON.parse(new TextDecoder().decode(configBytes)),
        chainId: chains.at(-1) ?? null,
        pinned: refs.some((r) => deps.pinned.has(r)),
        info: {
          mediaType: top.descriptor.mediaType,
          platform: { os: config.os, architecture: config.architecture, variant: config.variant ?? "" },
          manifests: stored.map((d) => ({ digest: d.digest, mediaType: d.mediaType, size: d.size })),
          layers: layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: config.rootfs.diffIds[i] ?? "" })),
          chainIds: chains,
        },
        refs,
        blobs: [...new Set(all.map((d) => d.digest))],
      });
    });
  } finally {
    release();
  }
}

/** Unpacks one layer blob into a temp dir, checks its diff id, then commits it. */
async function unpackOne(
  deps: PullDeps,
  desc: Descriptor,
  diffId: string,
  chainId: string,
  parent: string | null,
  signal?: AbortSignal,
): Promise<void> {
  const { tmp, fs: dest } = await deps.snapshots.prepare();
  try {
    await applyLayer({
      platform: deps.platform,
      dest,
      stream: deps.content.stream(desc.digest),
      mediaType: desc.mediaType,
      maxBytes: deps.maxLayerBytes,
      expectedDiffId: diffId,
      signal,
    });
    const usage = await diskUsage(dest);
    await deps.snapshots.commit(tmp, chainId);
    deps.store.images.putSnapshot({
      chainId,
      parent,
      diffId,
      path: path.join(deps.snapshots.pathOf(chainId), "fs"),
      size: usage.bytes,
      inodes: usage.inodes,
    });
  } catch (err) {
    await deps.snapshots.discard(tmp);
    throw new Error(`unpack layer ${desc.digest}`, { cause: err });
  }
}
