/**
 * The registry client: the OCI distribution API over every endpoint of a registry
 * (mirrors first, then the origin; see hosts.ts), one client per pull so the CRI
 * request's credentials stay with it, sharing token cache and in-flight downloads
 * with the daemon's other clients.
 */
import { DeadlineExceededError, InvalidArgumentError, describeError } from "../../errors.ts";
import type { Descriptor } from "../manifest.ts";
import { MAX_CONFIG_BYTES } from "../manifest.ts";
import { type RepositoryLocator, digestProblem, isValidRepository, isValidTag } from "../reference.ts";
import type { FetchFn } from "./authorizer.ts";
import { type BlobFetchOptions, fetchBlobToFileFrom } from "./blob-fetch.ts";
import type { AuthConfig } from "./credentials.ts";
import { type RegistryConfig, type RegistryEndpoint, resolveEndpoints } from "./hosts.ts";
import { type InFlight, createInFlight } from "./in-flight.ts";
import {
  type FetchedManifest,
  type ManifestFetchOptions,
  type ManifestTarget,
  fetchBlobBytesFrom,
  fetchManifestFrom,
  targetName,
} from "./manifest-fetch.ts";
import { blobExistsAt, pushBlobTo, pushManifestTo } from "./push.ts";
import { DEFAULT_RETRY, type RetryPolicy, sleep } from "./retry.ts";
import { type TokenCache, createTokenCache } from "./token-cache.ts";
import { EndpointTransport } from "./transport.ts";

export type RegistryClientOptions = {
  /** Mirrors and per-host settings. */
  config?: RegistryConfig;
  /** The CRI request's AuthConfig: credentials for the image's registry. */
  auth?: AuthConfig;
  fetch?: FetchFn;
  retry?: Partial<RetryPolicy>;
  /** Shared by the daemon's clients; a fresh one per client by default. */
  tokens?: TokenCache;
  /** Shared blob downloads; by default one map for the whole process. */
  downloads?: InFlight<void>;
  userAgent?: string;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
};

export type RegistryClient = {
  /** The endpoints tried for a registry, in order. */
  endpoints(registry: string): RegistryEndpoint[];
  /** A manifest or index by tag or digest, verified (see manifest-fetch.ts). */
  getManifest(target: ManifestTarget, opts?: ManifestFetchOptions): Promise<FetchedManifest>;
  /** A small blob (a config) in memory, verified; refused above `maxBytes` (default 16 MiB). */
  getBlobBytes(repo: RepositoryLocator, desc: Descriptor, opts?: { signal?: AbortSignal; maxBytes?: number }): Promise<Uint8Array>;
  /**
   * A blob streamed to `path`, verified; on failure `path` is gone. Concurrent calls for
   * the same digest and path share one download (the first caller's progress timeout
   * and progress callback apply to it); each caller's signal cancels only its own wait.
   */
  fetchBlob(repo: RepositoryLocator, desc: Descriptor, path: string, opts?: BlobFetchOptions): Promise<void>;
  /** Pushes go to the origin only; mirrors are read-only caches. */
  blobExists(repo: RepositoryLocator, digest: string, opts?: { signal?: AbortSignal }): Promise<boolean>;
  pushBlob(repo: RepositoryLocator, data: Uint8Array, opts?: { mediaType?: string; signal?: AbortSignal }): Promise<Descriptor>;
  pushManifest(target: ManifestTarget, bytes: Uint8Array, mediaType: string, opts?: { signal?: AbortSignal }): Promise<Descriptor>;
};

/** Downloads shared across clients unless a caller brings its own map. */
const processDownloads = createInFlight<void>();

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const deps = {
    fetch: options.fetch ?? ((url: string, init: BunFetchRequestInit) => fetch(url, init)),
    tokens: options.tokens ?? createTokenCache(options.now),
    retry: { ...DEFAULT_RETRY, ...options.retry },
    userAgent: options.userAgent ?? "skiff",
    sleep: options.sleep ?? sleep,
    now: options.now ?? Date.now,
  };
  const downloads = options.downloads ?? processDownloads;
  const endpointsByRegistry = new Map<string, RegistryEndpoint[]>();
  const transports = new Map<string, EndpointTransport>();

  const endpoints = (registry: string): RegistryEndpoint[] => {
    let list = endpointsByRegistry.get(registry);
    if (!list) {
      list = resolveEndpoints(registry, options.config, options.auth);
      endpointsByRegistry.set(registry, list);
    }
    return list;
  };
  const transportFor = (endpoint: RegistryEndpoint): EndpointTransport => {
    let t = transports.get(endpoint.base);
    if (!t) {
      t = new EndpointTransport(endpoint, deps);
      transports.set(endpoint.base, t);
    }
    return t;
  };

  /** Tries each endpoint in turn; a caller's cancel or a progress timeout stops at once. */
  async function acrossEndpoints<T>(
    registry: string,
    what: string,
    signal: AbortSignal | undefined,
    work: (t: EndpointTransport) => Promise<T>,
  ): Promise<T> {
    const list = endpoints(registry);
    const failures: string[] = [];
    let last: unknown;
    for (const endpoint of list) {
      try {
        return await work(transportFor(endpoint));
      } catch (err) {
        if (signal?.aborted || err instanceof DeadlineExceededError) throw err;
        last = err;
        failures.push(`"${endpoint.host}": ${describeError(err)}`);
      }
    }
    if (list.length === 1) throw last;
    throw new Error(`${what}: every endpoint failed: ${failures.join("; ")}`, { cause: last });
  }

  const origin = (registry: string): EndpointTransport => transportFor(endpoints(registry).at(-1)!);

  return {
    endpoints,
    getManifest(target, opts = {}) {
      checkTarget(target);
      if (opts.expected) checkDigest(opts.expected.digest, "descriptor.digest");
      return acrossEndpoints(target.registry, `fetch manifest "${targetName(target)}"`, opts.signal, (t) =>
        fetchManifestFrom(t, target, opts),
      );
    },
    getBlobBytes(repo, desc, opts = {}) {
      checkRepo(repo);
      checkDigest(desc.digest, "descriptor.digest");
      const maxBytes = opts.maxBytes ?? MAX_CONFIG_BYTES;
      return acrossEndpoints(repo.registry, `fetch blob ${desc.digest}`, opts.signal, (t) =>
        fetchBlobBytesFrom(t, repo, desc, { maxBytes, ...(opts.signal && { signal: opts.signal }) }),
      );
    },
    fetchBlob(repo, desc, path, opts = {}) {
      checkRepo(repo);
      checkDigest(desc.digest, "descriptor.digest");
      // Keyed by what is written where: one writer per file. Content is named by its
      // digest, so callers pulling it from different repositories get the same bytes.
      const key = `${desc.digest}\n${path}`;
      return downloads.run(
        key,
        (shared) =>
          acrossEndpoints(repo.registry, `pull blob ${desc.digest}`, shared, (t) =>
            fetchBlobToFileFrom(t, repo, desc, path, { ...opts, signal: shared }),
          ),
        opts.signal,
      );
    },
    blobExists(repo, digest, opts = {}) {
      checkRepo(repo);
      checkDigest(digest, "digest");
      return blobExistsAt(origin(repo.registry), repo, digest, { ...opts, push: true });
    },
    pushBlob(repo, data, opts = {}) {
      checkRepo(repo);
      return pushBlobTo(origin(repo.registry), repo, data, opts);
    },
    pushManifest(target, bytes, mediaType, opts = {}) {
      checkTarget(target);
      return pushManifestTo(origin(target.registry), target, bytes, mediaType, opts);
    },
  };
}

// Names and digests end up in URL paths: check them so nothing else does.
function checkRepo(repo: RepositoryLocator): void {
  if (!isValidRepository(repo.repository)) {
    throw new InvalidArgumentError("repository", `"${repo.repository.slice(0, 100)}" is not a valid repository name`);
  }
}

function checkTarget(target: ManifestTarget): void {
  checkRepo(target);
  if (target.tag !== undefined && !isValidTag(target.tag)) {
    throw new InvalidArgumentError("tag", `"${target.tag.slice(0, 100)}" is not a valid tag`);
  }
  if (target.digest !== undefined) checkDigest(target.digest, "digest");
}

function checkDigest(digest: string, field: string): void {
  const problem = digestProblem(digest);
  if (problem) throw new InvalidArgumentError(field, problem);
}
