/**
 * Uploads to one endpoint: blobs with the distribution spec's monolithic upload
 * (POST to open an upload session, PUT the bytes with `?digest=`), skipped when a HEAD
 * says the blob is there already, and manifests with a PUT by tag or digest.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import type { Descriptor } from "../manifest.ts";
import type { RepositoryLocator } from "../reference.ts";
import { repositoryScope } from "./authorizer.ts";
import { discardBody } from "./body.ts";
import { digestOf } from "./digest.ts";
import type { ManifestTarget } from "./manifest-fetch.ts";
import { targetName } from "./manifest-fetch.ts";
import { RegistryError } from "./registry-error.ts";
import type { EndpointTransport } from "./transport.ts";

/** True if the repository has the blob. */
export async function blobExistsAt(
  transport: EndpointTransport,
  repo: RepositoryLocator,
  digest: string,
  opts: { signal?: AbortSignal; push?: boolean } = {},
): Promise<boolean> {
  const res = await transport.request({
    method: "HEAD",
    path: `/v2/${repo.repository}/blobs/${digest}`,
    scope: repositoryScope(repo.repository, opts.push),
    ...(opts.signal && { signal: opts.signal }),
  });
  if (res.ok || res.status === 404) {
    await discardBody(res);
    return res.ok;
  }
  throw await transport.fail(res, `check blob ${digest} of "${repo.registry}/${repo.repository}"`);
}

/** Uploads a blob unless it is there already; returns its descriptor. */
export async function pushBlobTo(
  transport: EndpointTransport,
  repo: RepositoryLocator,
  data: Uint8Array,
  opts: { mediaType?: string; signal?: AbortSignal } = {},
): Promise<Descriptor> {
  const digest = digestOf(data);
  const desc: Descriptor = { mediaType: opts.mediaType ?? "application/octet-stream", digest, size: data.byteLength };
  const scope = repositoryScope(repo.repository, true);
  const signal = opts.signal ? { signal: opts.signal } : {};
  if (await blobExistsAt(transport, repo, digest, { ...signal, push: true })) return desc;

  const what = `push blob ${digest} to "${repo.registry}/${repo.repository}"`;
  const started = await transport.request({
    method: "POST",
    path: `/v2/${repo.repository}/blobs/uploads/`,
    scope,
    ...signal,
  });
  if (started.status !== 202) throw await transport.fail(started, what);
  await discardBody(started);
  const location = started.headers.get("location");
  if (!location) throw new RegistryError(`${what}: upload started without a Location`, started.status);

  const url = new URL(location, transport.url(`/v2/${repo.repository}/blobs/uploads/`));
  url.searchParams.set("digest", digest);
  const done = await transport.request({
    method: "PUT",
    path: url.href,
    headers: { "Content-Type": "application/octet-stream" },
    body: data,
    scope,
    ...signal,
  });
  if (done.status !== 201) throw await transport.fail(done, what);
  await discardBody(done);
  return desc;
}

/** Puts a manifest or index under a tag (or its digest); returns its descriptor. */
export async function pushManifestTo(
  transport: EndpointTransport,
  target: ManifestTarget,
  bytes: Uint8Array,
  mediaType: string,
  opts: { signal?: AbortSignal } = {},
): Promise<Descriptor> {
  const digest = digestOf(bytes);
  const reference = target.tag ?? target.digest ?? digest;
  const what = `push manifest "${targetName({ ...target, ...(target.tag ? {} : { digest: reference }) })}"`;
  const res = await transport.request({
    method: "PUT",
    path: `/v2/${target.repository}/manifests/${reference}`,
    headers: { "Content-Type": mediaType },
    body: bytes,
    scope: repositoryScope(target.repository, true),
    ...(opts.signal && { signal: opts.signal }),
  });
  if (res.status !== 201) throw await transport.fail(res, what);
  await discardBody(res);
  return { mediaType, digest, size: bytes.byteLength };
}
