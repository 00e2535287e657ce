/**
 * HTTP to one registry endpoint: TLS settings (per-host CA file on top of the default
 * roots, or no verification for an insecure host), authorization (see authorizer.ts),
 * retries with backoff on 429/5xx and broken connections, and redirects followed by
 * hand so the Authorization header never reaches another origin (blob GETs are often
 * redirected to a storage service that signs its own URLs).
 */
import { readFileSync } from "node:fs";
import { getCACertificates } from "node:tls";
import { FailedPreconditionError, SkiffError, UnavailableError } from "../../errors.ts";
import { Authorizer, type FetchFn } from "./authorizer.ts";
import type { RegistryEndpoint } from "./hosts.ts";
import { discardBody } from "./body.ts";
import { RegistryAuthError, RegistryError, errorFromResponse } from "./registry-error.ts";
import { type RetryPolicy, backoffDelay, isRetryableNetworkError, isRetryableStatus, retryDelay } from "./retry.ts";
import type { TokenCache } from "./token-cache.ts";

export type TransportDeps = {
  fetch: FetchFn;
  tokens: TokenCache;
  retry: RetryPolicy;
  userAgent: string;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
};

export type RegistryRequest = {
  method?: string;
  /** An API path below the endpoint (`/v2/…`), or an absolute URL (an upload location). */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  signal?: AbortSignal;
  /** Token scope the request needs, e.g. `repository:library/busybox:pull`. */
  scope: string;
  /** Keep the body as sent (no transparent gzip decoding): blobs are hashed as stored. */
  raw?: boolean;
};

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class EndpointTransport {
  readonly authorizer: Authorizer;
  readonly #origin: string;
  #tls: BunFetchRequestInit["tls"] | undefined;

  constructor(
    readonly endpoint: RegistryEndpoint,
    readonly deps: TransportDeps,
  ) {
    this.#origin = new URL(endpoint.base).origin;
    this.authorizer = new Authorizer(endpoint, { ...deps, tlsFor: (u) => this.tlsFor(u) });
  }

  /** The absolute URL for an API path (or the URL itself if already absolute). */
  url(path: string): URL {
    return /^https?:\/\//i.test(path) ? new URL(path) : new URL(`${this.endpoint.base}${path}`);
  }

  /** TLS options: the endpoint's own for its origin, the defaults elsewhere. */
  tlsFor(url: URL): BunFetchRequestInit["tls"] {
    if (url.protocol !== "https:" || url.origin !== this.#origin) return undefined;
    this.#tls ??= this.#endpointTls();
    return this.#tls;
  }

  #endpointTls(): BunFetchRequestInit["tls"] {
    // The host's CA store counts, not only the roots bundled into Bun: an operator who adds
    // a CA to /etc/ssl/certs expects skiff to trust it, as containerd does.
    const tls: NonNullable<BunFetchRequestInit["tls"]> = { ca: getCACertificates("default") };
    if (this.endpoint.insecureSkipVerify) tls.rejectUnauthorized = false;
    if (this.endpoint.caFile) {
      let pem: string;
      try {
        pem = readFileSync(this.endpoint.caFile, "utf8");
      } catch (err) {
        throw new FailedPreconditionError(
          `read CA file "${this.endpoint.caFile}" for registry "${this.endpoint.host}"`,
          { cause: err },
        );
      }
      // `ca` replaces the trusted roots, so keep the default ones (bundled + system) too.
      tls.ca = [...getCACertificates("default"), pem];
    }
    return tls;
  }

  /**
   * Sends a request, authorizing and retrying as needed. Returns the final response
   * whatever its status; callers turn unwanted ones into errors with {@link fail}.
   */
  async request(req: RegistryRequest): Promise<Response> {
    const method = req.method ?? "GET";
    const url = this.url(req.path);
    let retry = 0;
    let authRetried = false;
    for (;;) {
      let res: Response;
      try {
        res = await this.#send(url, method, req);
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (err instanceof SkiffError) throw err;
        if (isRetryableNetworkError(err) && retry + 1 < this.deps.retry.attempts) {
          await this.deps.sleep(backoffDelay(this.deps.retry, retry++), req.signal);
          continue;
        }
        throw networkError(`${method} "${redact(url)}"`, err);
      }
      if (res.status === 401 && !authRetried) {
        authRetried = true;
        if (this.authorizer.onUnauthorized(res, req.scope)) {
          await discardBody(res);
          continue;
        }
      }
      if (isRetryableStatus(res.status) && retry + 1 < this.deps.retry.attempts) {
        const delay = retryDelay(this.deps.retry, retry++, res.headers.get("retry-after"));
        await discardBody(res);
        await this.deps.sleep(delay, req.signal);
        continue;
      }
      return res;
    }
  }

  async #send(start: URL, startMethod: string, req: RegistryRequest): Promise<Response> {
    let url = start;
    let method = startMethod;
    let body = req.body;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { ...req.headers, "User-Agent": this.deps.userAgent };
      if (url.origin === this.#origin) {
        const authorization = await this.authorizer.authorization(req.scope, req.signal);
        if (authorization) headers.Authorization = authorization;
      }
      const res = await this.deps.fetch(url.href, {
        method,
        headers,
        ...(body !== undefined && { body }),
        ...(req.signal && { signal: req.signal }),
        redirect: "manual",
        tls: this.tlsFor(url),
        ...(req.raw && { decompress: false }),
      });
      const location = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || !location) return res;
      await discardBody(res);
      const next = new URL(location, url);
      if (next.protocol !== "https:" && next.protocol !== "http:") {
        throw new RegistryError(`registry "${this.endpoint.host}" redirected to a non-http URL`, res.status);
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      url = next;
    }
    throw new RegistryError(`registry "${this.endpoint.host}" redirected more than ${MAX_REDIRECTS} times`);
  }

  /** The error for an unwanted response; for 401/403 it says which kind of credentials were tried. */
  async fail(res: Response, what: string): Promise<Error> {
    const err = await errorFromResponse(res, what, this.endpoint.host);
    if (err instanceof RegistryAuthError) {
      const kind = this.authorizer.credentialsKind;
      const hint = kind === "anonymous" ? "no credentials were given" : `with ${kind} credentials`;
      return new RegistryAuthError(`${err.message}: access denied, ${hint}`, err.status, err.codes);
    }
    return err;
  }
}

/** A URL for messages: no query (upload URLs may carry signed state). */
export function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|HOSTNAME|ALTNAME/i;

/**
 * A failed connection: TLS problems are a configuration matter (name the fix);
 * anything else means the endpoint is not reachable now.
 */
function networkError(what: string, err: unknown): Error {
  const code = String((err as { code?: unknown } | null)?.code ?? "");
  const message = err instanceof Error ? err.message : String(err);
  if (TLS_CODE.test(code) || /certificate|tls|ssl/i.test(message)) {
    return new RegistryError(
      `${what}: TLS handshake failed (${code || message}); trust the registry's CA with the host's caFile, or set insecureSkipVerify`,
      undefined,
      [],
      { cause: err },
    );
  }
  return new UnavailableError(`${what}: ${code || message}`, { cause: err });
}
