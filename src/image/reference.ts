/**
 * Image references, parsed and normalized the way the kubelet and containerd see them:
 * `busybox` is `docker.io/library/busybox:latest`, `host:5000/a/b@sha256:…` keeps its
 * registry as written. The grammar is the distribution project's reference grammar
 * (https://github.com/distribution/reference/blob/main/reference.go), re-expressed here.
 *
 * Image references come from pod specs, so every check names the caller's field
 * (`image.image`, say) in an InvalidArgumentError.
 */
import { InvalidArgumentError } from "../errors.ts";

/** The registry that short names resolve to. */
export const DEFAULT_REGISTRY = "docker.io";
/** Single-segment Docker Hub names live under this namespace. */
export const DEFAULT_NAMESPACE = "library";
/** The tag a reference without tag or digest gets. */
export const DEFAULT_TAG = "latest";
/** Docker Hub's API host: `docker.io` is a name, not a host that serves /v2/. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";

/** A parsed, normalized image reference. */
export type ImageReference = {
  /** Registry domain as written (with port), `docker.io` for short names. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly repository: string;
  /** Tag, if any; `latest` is filled in only when neither tag nor digest was given. */
  readonly tag?: string;
  /** Digest (`sha256:<64 hex>` or `sha512:<128 hex>`), if given. */
  readonly digest?: string;
  /** `registry/repository`. */
  readonly name: string;
  /**
   * The normalized reference: `name:tag` or `name@digest`. With both a tag and a digest
   * the digest wins and the tag is dropped, as containerd's ParseDockerRef does: the
   * digest names the content, the tag is only a hint.
   */
  readonly full: string;
  /** The short form the Docker CLI prints: `busybox:latest`, `me/app@sha256:…`. */
  readonly familiar: string;
};

/** The registry and repository, enough to address blobs and manifests. */
export type RepositoryLocator = Pick<ImageReference, "registry" | "repository">;

const MAX_NAME_LENGTH = 255;

// One domain label: alphanumerics, with inner dashes.
const DOMAIN_LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
// A bracketed IPv6 literal, as the newer grammar allows.
const IPV6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|${IPV6})(?::[0-9]+)?$`);
// Path components are lowercase alphanumerics joined by ".", "_", "__" or runs of "-".
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/** The algorithms skiff can verify. */
export type DigestAlgorithm = "sha256" | "sha512";

/**
 * Checks a content digest: `sha256:` + 64 or `sha512:` + 128 lowercase hex digits.
 * Returns undefined when it is fine, else the reason.
 */
export function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(":");
  if (colon < 0) return `digest "${clip(digest)}" has no algorithm`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) return `digest algorithm "${clip(algorithm)}" is not supported`;
  if (hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    return `digest "${clip(digest)}" is not ${algorithm}: followed by ${length} lowercase hex digits`;
  }
  return undefined;
}

/** True for a well-formed sha256/sha512 digest. */
export function isDigest(digest: string): boolean {
  return digestProblem(digest) === undefined;
}

/** The algorithm of a digest already checked with {@link digestProblem}. */
export function digestAlgorithm(digest: string): DigestAlgorithm {
  return digest.startsWith("sha512:") ? "sha512" : "sha256";
}

/**
 * Parses an image reference and normalizes it. `field` names the caller's field for
 * the error (e.g. `image.image`).
 */
export function parseImageReference(input: string, field = "image"): ImageReference {
  if (typeof input !== "string" || input.length === 0) {
    throw new InvalidArgumentError(field, "image reference is empty");
  }
  if (input !== input.trim()) {
    throw new InvalidArgumentError(field, `image reference "${clip(input)}" has surrounding whitespace`);
  }

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digestProblem(digest);
    if (problem) throw new InvalidArgumentError(field, problem);
  }

  // A tag follows the last ":" that comes after the last "/" (a ":" before it is a port).
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > rest.lastIndexOf("/")) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) throw new InvalidArgumentError(field, `tag "${clip(tag)}" is not valid`);
  }

  const { registry, repository } = splitDomain(rest, field);
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(field, `repository name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return build(registry, repository, tag, digest);
}

/** Builds a reference from parts that are already valid (e.g. a parsed one with a new tag). */
function build(registry: string, repository: string, tag?: string, digest?: string): ImageReference {
  const name = `${registry}/${repository}`;
  const full = digest !== undefined ? `${name}@${digest}` : `${name}:${tag}`;
  let short = name;
  if (registry === DEFAULT_REGISTRY) {
    short = repository.startsWith(`${DEFAULT_NAMESPACE}/`)
      ? repository.slice(DEFAULT_NAMESPACE.length + 1)
      : repository;
  }
  const familiar = `${short}${tag !== undefined ? `:${tag}` : ""}${digest !== undefined ? `@${digest}` : ""}`;
  return { registry, repository, name, full, familiar, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/**
 * Splits `host[:port]/path` into registry and repository. The first segment is a
 * registry only if it looks like one (has a "." or ":", is `localhost`, or has
 * uppercase letters); otherwise the whole name is a Docker Hub repository.
 */
function splitDomain(name: string, field: string): { registry: string; repository: string } {
  if (name.length === 0) throw new InvalidArgumentError(field, "image reference has no repository name");
  const slash = name.indexOf("/");
  let registry = DEFAULT_REGISTRY;
  let repository = name;
  if (slash >= 0) {
    const first = name.slice(0, slash);
    // Uppercase cannot be a repository path, so it marks a host too.
    const isHost = /[.:[]/.test(first) || first === "localhost" || first.toLowerCase() !== first;
    if (isHost) {
      registry = first;
      repository = name.slice(slash + 1);
    }
  }
  if (!DOMAIN_RE.test(registry)) {
    throw new InvalidArgumentError(field, `registry "${clip(registry)}" is not a valid host name`);
  }
  if (registry === "index.docker.io") registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes("/")) {
    repository = `${DEFAULT_NAMESPACE}/${repository}`;
  }
  if (repository.length === 0) throw new InvalidArgumentError(field, "image reference has no repository name");
  for (const part of repository.split("/")) {
    if (!PATH_COMPONENT_RE.test(part)) {
      const reason = part.toLowerCase() !== part && PATH_COMPONENT_RE.test(part.toLowerCase())
        ? `repository name "${clip(repository)}" must be lowercase`
        : `repository name "${clip(repository)}" is not valid`;
      throw new InvalidArgumentError(field, reason);
    }
  }
  return { registry, repository };
}

/** True for a repository path the grammar allows (`library/busybox`). */
export function isValidRepository(repository: string): boolean {
  return repository.length > 0 && repository.length <= MAX_NAME_LENGTH &&
    repository.split("/").every((part) => PATH_COMPONENT_RE.test(part));
}

/** True for a tag the grammar allows. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** The same repository with another tag (and no digest). */
export function withTag(ref: RepositoryLocator, tag: string, field = "tag"): ImageReference {
  if (!TAG_RE.test(tag)) throw new InvalidArgumentError(field, `tag "${clip(tag)}" is not valid`);
  return build(ref.registry, ref.repository, tag, undefined);
}

/** The same repository pinned to a digest (and no tag). */
export function withDigest(ref: RepositoryLocator, digest: string, field = "digest"): ImageReference {
  const problem = digestProblem(digest);
  if (problem) throw new InvalidArgumentError(field, problem);
  return build(ref.registry, ref.repository, undefined, digest);
}

/**
 * The repo tag the kubelet lists for an image pulled by this reference
 * (`docker.io/library/busybox:latest`), or undefined when it was pulled by digest only.
 */
export function repoTag(ref: ImageReference): string | undefined {
  return ref.tag !== undefined && ref.digest === undefined ? `${ref.name}:${ref.tag}` : undefined;
}

/** The repo digest the kubelet lists: `docker.io/library/busybox@sha256:…`. */
export function repoDigest(ref: RepositoryLocator, manifestDigest: string): string {
  return `${ref.registry}/${ref.repository}@${manifestDigest}`;
}

/**
 * The host that serves the distribution API for a registry domain: the domain itself,
 * except Docker Hub's `docker.io`.
 */
export function registryApiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

/** Keeps error messages short when the input is huge. */
function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
