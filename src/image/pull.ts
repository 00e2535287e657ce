import { NotSupportedError } from "../errors.ts";
import type { ImageRecord } from "../store/index.ts";
import { type InstallDeps, installImage } from "./install.ts";
import { createLimiter } from "./limit.ts";
import { type Descriptor, type ImageManifest, parseImageConfig } from "./manifest.ts";
import { isNonDistributable } from "./media-types.ts";
import { type WantedPlatform, selectManifest } from "./platform-select.ts";
import { type ImageReference, repoDigest, repoTag } from "./reference.ts";
import type { RegistryClient } from "./registry/index.ts";

/** Progress events for `skiff pull`'s per-layer bars and the daemon log. */
export type PullEvent =
  | { kind: "resolved"; manifest: string; layers: { digest: string; size: number }[] }
  | { kind: "download"; digest: string; received: number; total: number }
  | { kind: "downloaded"; digest: string; cached: boolean }
  | { kind: "unpacked"; digest: string; chainId: string; cached: boolean };

export type PullDeps = InstallDeps & {
  want: WantedPlatform;
  concurrency: number;
  progressTimeoutMs: number;
};

export type PullOptions = { signal?: AbortSignal; onEvent?: (e: PullEvent) => void };

/**
 * Pulls one image: manifest (through an index to this node's platform), config, then
 * layers downloaded concurrently (each verified) while `installImage` unpacks each one as
 * soon as it and the layer below it are ready. Downloads land under temp names and the
 * image is recorded in one transaction at the end, so a failure or a crash leaves
 * nothing a restart's garbage collection does not remove.
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
  const manifests: Descriptor[] = [top.descriptor];
  await deps.content.writeVerified(top.descriptor.digest, top.bytes);
  let manifest: ImageManifest;
  if (top.parsed.kind === "index") {
    const chosen = selectManifest(top.parsed, deps.want);
    const m = await client.getManifest({ ...repo, digest: chosen.digest }, { signal: opts.signal, expected: chosen });
    if (m.parsed.kind !== "manifest") throw new NotSupportedError(`${ref.full}: an index inside an index is not supported`);
    manifest = m.parsed;
    manifests.push(m.descriptor);
    await deps.content.writeVerified(m.descriptor.digest, m.bytes);
  } else {
    manifest = top.parsed;
  }
  for (const l of manifest.layers) {
    if (isNonDistributable(l.mediaType) && (l.urls?.length ?? 0) > 0) {
      throw new NotSupportedError(`${ref.full}: layer ${l.digest} is a foreign layer fetched from URLs; not supported`);
    }
  }
  const configBytes = await client.getBlobBytes(repo, manifest.config, { signal: opts.signal });
  const config = parseImageConfig(configBytes);
  await deps.content.writeVerified(manifest.config.digest, configBytes);
  emit({ kind: "resolved", manifest: top.descriptor.digest, layers: manifest.layers.map((l) => ({ digest: l.digest, size: l.size })) });

  const limit = createLimiter(Math.max(1, deps.concurrency));
  const downloads = manifest.layers.map((desc) =>
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

  const refs = [repoDigest(repo, top.descriptor.digest)];
  const tag = ref.digest ? undefined : repoTag(ref);
  if (tag) refs.push(tag);
  try {
    const img = await installImage(deps, {
      top: top.descriptor,
      manifests,
      manifest,
      configBytes,
      config,
      refs,
      layerReady: (i) => downloads[i] as Promise<void>,
      signal: opts.signal,
      onUnpacked: (desc, chainId, cached) => emit({ kind: "unpacked", digest: desc.digest, chainId, cached }),
    });
    await Promise.all(downloads);
    return img;
  } catch (err) {
    throw new Error(`pull ${ref.full}`, { cause: err });
  }
}
