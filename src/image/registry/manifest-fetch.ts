/**
 * Fetching manifests (and other small, in-memory blobs such as configs) from one
 * endpoint, verified: by digest, the bytes must hash to it; by tag, the digest is the
 * hash of the bytes we got (a registry's Docker-Content-Digest header is only advice,
 * and a mirror could lie in it).
 */
import { InvalidArgumentError } from "../../errors.ts";
import { type Descriptor, type ImageIndex, type ImageManifest, MAX_MANIFEST_BYTES, parseManifestOrIndex } from "../manifest.ts";
import { MANIFEST_ACCEPT } from "../media-types.ts";
import { type RepositoryLocator, digestAlgorithm } from "../reference.ts";
import { repositoryScope } from "./authorizer.ts";
import { readLimitedBytes } from "./body.ts";
import { digestOf } from "./digest.ts";
import { DigestMismatchError, RegistryError } from "./registry-error.ts";
import type { EndpointTransport } from "./transport.ts";

/** A repository and either a tag or a digest (the digest wins when both are set). */
export type ManifestTarget = RepositoryLocator & { tag?: string; digest?: string };

export type FetchedManifest = {
  /** Digest and size of exactly these bytes; media type from the document. */
  descriptor: Descriptor;
  bytes: Uint8Array;
  parsed: ImageManifest | ImageIndex;
};

export type ManifestFetchOptions = {
  signal?: AbortSignal;
  /** The descriptor that pointed here (an index entry): size and digest must match it. */
  expected?: Descriptor;
};

/** `name:tag` / `name@digest` for messages. */
export function targetName(t: ManifestTarget): string {
  const name = `${t.registry}/${t.repository}`;
  return t.digest ? `${name}@${t.digest}` : `${name}:${t.tag ?? "latest"}`;
}

export async function fetchManifestFrom(
  transport: EndpointTransport,
  target: ManifestTarget,
  opts: ManifestFetchOptions = {},
): Promise<FetchedManifest> {
  const digest = opts.expected?.digest ?? target.digest;
  const reference = digest ?? target.tag;
  if (!reference) throw new InvalidArgumentError("image", "has neither a tag nor a digest");
  const what = `fetch manifest "${targetName({ ...target, ...(digest && { digest }) })}"`;
  const accept = [...new Set([...(opts.expected ? [opts.expected.mediaType] : []), ...MANIFEST_ACCEPT])];
  const res = await transport.request({
    path: `/v2/${target.repository}/manifests/${reference}`,
    headers: { Accept: accept.join(", ") },
    scope: repositoryScope(target.repository),
    ...(opts.signal && { signal: opts.signal }),
  });
  if (!res.ok) throw await transport.fail(res, what);
  const limit = opts.expected ? Math.min(opts.expected.size, MAX_MANIFEST_BYTES) : MAX_MANIFEST_BYTES;
  const bytes = await readLimitedBytes(res, limit);
  if (!bytes) {
    throw opts.expected && opts.expected.size < MAX_MANIFEST_BYTES
      ? new DigestMismatchError(`${what}: got more than the ${opts.expected.size} bytes its descriptor says`)
      : new RegistryError(`${what}: manifest is larger than ${MAX_MANIFEST_BYTES} bytes`, res.status);
  }
  const actual = digestOf(bytes, digest ? digestAlgorithm(digest) : "sha256");
  if (digest && actual !== digest) {
    throw new DigestMismatchError(`${what} from "${transport.endpoint.host}": content has digest ${actual}`);
  }
  if (opts.expected && bytes.byteLength !== opts.expected.size) {
    throw new DigestMismatchError(
      `${what}: got ${bytes.byteLength} bytes, its descriptor says ${opts.expected.size}`,
    );
  }
  let parsed: ImageManifest | ImageIndex;
  try {
    parsed = parseManifestOrIndex(bytes, res.headers.get("content-type") ?? undefined);
  } catch (err) {
    throw new RegistryError(`${what}: ${err instanceof Error ? err.message : String(err)}`, res.status, [], { cause: err });
  }
  return { descriptor: { mediaType: parsed.mediaType, digest: actual, size: bytes.byteLength }, bytes, parsed };
}

/**
 * Fetches a small blob (a config) into memory, checking size and digest. Blobs above
 * `maxBytes` are refused before they are read.
 */
export async function fetchBlobBytesFrom(
  transport: EndpointTransport,
  repo: RepositoryLocator,
  desc: Descriptor,
  opts: { signal?: AbortSignal; maxBytes: number },
): Promise<Uint8Array> {
  const what = `fetch blob ${desc.digest} of "${repo.registry}/${repo.repository}"`;
  if (desc.size > opts.maxBytes) {
    throw new RegistryError(`${what}: its descriptor says ${desc.size} bytes, more than the ${opts.maxBytes} allowed`);
  }
  const res = await transport.request({
    path: `/v2/${repo.repository}/blobs/${desc.digest}`,
    scope: repositoryScope(repo.repository),
    raw: true,
    headers: { "Accept-Encoding": "identity" },
    ...(opts.signal && { signal: opts.signal }),
  });
  if (!res.ok) throw await transport.fail(res, what);
  const bytes = await readLimitedBytes(res, desc.size);
  if (!bytes) throw new DigestMismatchError(`${what}: got more than the ${desc.size} bytes its descriptor says`);
  if (bytes.byteLength !== desc.size) {
    throw new DigestMismatchError(`${what}: got ${bytes.byteLength} bytes, its descriptor says ${desc.size}`);
  }
  const actual = digestOf(bytes, digestAlgorithm(desc.digest));
  if (actual !== desc.digest) throw new DigestMismatchError(`${what}: content has digest ${actual}`);
  return bytes;
}
