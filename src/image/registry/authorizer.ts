/**
 * Authorization for one registry endpoint: requests go out anonymously until the
 * registry answers 401 with a `WWW-Authenticate` challenge; from then on every request
 * carries what that challenge asks for:
 *
 * - `Basic`: the credentials, base64 encoded.
 * - `Bearer realm,service,scope`: a token from the realm (the token server), per
 *   https://distribution.github.io/distribution/spec/auth/token/ — a GET with Basic
 *   auth (or none, for anonymous pulls), or, for an identity token, a POST of
 *   `grant_type=refresh_token` (https://distribution.github.io/distribution/spec/auth/oauth/).
 *   A CRI `registry_token` is used as the bearer token directly.
 *
 * Credentials are never sent in plain text to a non-loopback token server unless the
 * registry itself is configured as plain HTTP, and never appear in a message.
 */
import { FailedPreconditionError, UnavailableError } from "../../errors.ts";
import {
  basicAuthorization,
  credentialsFingerprint,
  describeCredentials,
} from "./credentials.ts";
import { type RegistryEndpoint, isLoopbackHost } from "./hosts.ts";
import { createInFlight } from "./in-flight.ts";
import { readLimitedText } from "./body.ts";
import { RegistryAuthError, RegistryError } from "./registry-error.ts";
import { type TokenCache, tokenExpiry } from "./token-cache.ts";
import { type Challenge, parseWwwAuthenticate } from "./www-authenticate.ts";

/** `fetch` as the client uses it; tests pass a fake. */
export type FetchFn = (url: string, init: BunFetchRequestInit) => Promise<Response>;

export type AuthorizerDeps = {
  fetch: FetchFn;
  tokens: TokenCache;
  userAgent: string;
  /** TLS options for a URL (the endpoint's own for its host, else the defaults). */
  tlsFor: (url: URL) => BunFetchRequestInit["tls"];
  now: () => number;
};

/** The token scope for pulling (or pushing to) a repository. */
export function repositoryScope(repository: string, push = false): string {
  return `repository:${repository}:${push ? "pull,push" : "pull"}`;
}

const MAX_TOKEN_RESPONSE = 1024 * 1024;

export class Authorizer {
  #challenge: Challenge | undefined;
  readonly #fetching = createInFlight<string>();

  constructor(
    readonly endpoint: RegistryEndpoint,
    readonly deps: AuthorizerDeps,
  ) {}

  /** Which credentials this endpoint uses, for messages ("username/password", "anonymous"). */
  get credentialsKind(): string {
    return describeCredentials(this.endpoint.credentials);
  }

  /** The `Authorization` value for a request needing `scope`, or undefined before any challenge. */
  async authorization(scope: string, signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (!challenge) return undefined;
    const creds = this.endpoint.credentials;
    if (challenge.scheme === "basic") {
      return creds?.kind === "basic" ? basicAuthorization(creds.username, creds.password) : undefined;
    }
    if (creds?.kind === "bearer") return `Bearer ${creds.token}`;
    const key = this.#cacheKey(challenge, scope);
    const cached = this.deps.tokens.get(key);
    if (cached) return `Bearer ${cached}`;
    const token = await this.#fetching.run(key, (s) => this.#fetchToken(challenge, scope, key, s), signal);
    return `Bearer ${token}`;
  }

  /**
   * Learns from a 401. True when a retry with (new) authorization may succeed: the first
   * challenge, a changed one, or a cached bearer token that may have been revoked.
   */
  onUnauthorized(res: Response, scope: string): boolean {
    const challenges = parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "");
    const next =
      challenges.find((c) => c.scheme === "bearer" && c.params.realm) ??
      challenges.find((c) => c.scheme === "basic");
    if (!next) return false;
    const prev = this.#challenge;
    this.#challenge = next;
    if (!prev || prev.scheme !== next.scheme || prev.params.realm !== next.params.realm) {
      // Basic without a username and password to send would only be refused again.
      return next.scheme === "bearer" || this.endpoint.credentials?.kind === "basic";
    }
    if (next.scheme === "bearer" && this.endpoint.credentials?.kind !== "bearer") {
      const key = this.#cacheKey(next, scope);
      if (this.deps.tokens.get(key) !== undefined) {
        this.deps.tokens.delete(key);
        return true;
      }
    }
    return false;
  }

  #cacheKey(challenge: Challenge, scope: string): string {
    return [
      challenge.params.realm ?? "",
      challenge.params.service ?? "",
      scope,
      credentialsFingerprint(this.endpoint.credentials),
    ].join("\n");
  }

  async #fetchToken(challenge: Challenge, scope: string, key: string, signal: AbortSignal): Promise<string> {
    const realm = parseRealm(challenge.params.realm ?? "");
    const creds = this.endpoint.credentials;
    if (
      creds &&
      realm.protocol === "http:" &&
      !this.endpoint.plainHttp &&
      !isLoopbackHost(realm.host)
    ) {
      throw new FailedPreconditionError(
        `token server "${realm.origin}${realm.pathname}" for "${this.endpoint.host}" is plain http: refusing to send credentials`,
      );
    }
    const service = challenge.params.service;
    const init: BunFetchRequestInit = {
      signal,
      // Never carry the Authorization header through a redirect to somewhere else.
      redirect: "manual",
      tls: this.deps.tlsFor(realm),
      headers: { "User-Agent": this.deps.userAgent, Accept: "application/json" },
    };
    const url = new URL(realm);
    if (creds?.kind === "refresh-token") {
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: creds.refreshToken, client_id: "skiff" });
      if (service) form.set("service", service);
      form.set("scope", scope);
      init.method = "POST";
      init.body = form.toString();
      (init.headers as Record<string, string>)["Content-Type"] = "application/x-www-form-urlencoded";
    } else {
      if (service) url.searchParams.set("service", service);
      url.searchParams.set("scope", scope);
      url.searchParams.set("client_id", "skiff");
      if (creds?.kind === "basic") {
        url.searchParams.set("account", creds.username);
        (init.headers as Record<string, string>).Authorization = basicAuthorization(creds.username, creds.password);
      }
    }
    const where = `token server "${realm.origin}${realm.pathname}"`;
    let res: Response;
    try {
      res = await this.deps.fetch(url.href, init);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new UnavailableError(`get a token for "${this.endpoint.host}" from ${where}`, { cause: err });
    }
    const body = await readLimitedText(res, MAX_TOKEN_RESPONSE);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryAuthError(
        `${where} rejected the ${describeCredentials(creds)} credentials for "${this.endpoint.host}" (HTTP ${res.status})`,
        res.status,
      );
    }
    if (!res.ok) {
      const err = new RegistryError(`${where} answered HTTP ${res.status}`, res.status);
      throw res.status >= 500 || res.status === 429 ? new UnavailableError(err.message, { cause: err }) : err;
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      throw new RegistryError(`${where} answered with something that is not JSON`, res.status, [], { cause: err });
    }
    const token = typeof parsed.token === "string" && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== "string" || !token) throw new RegistryError(`${where} answered without a token`, res.status);
    this.deps.tokens.set(key, token, tokenExpiry(this.deps.now(), parsed.expires_in));
    return token;
  }
}

function parseRealm(realm: string): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new RegistryError(`registry sent a bearer challenge with an invalid realm "${realm.slice(0, 100)}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RegistryError(`registry sent a bearer challenge with a realm that is not http(s): "${url.protocol}"`);
  }
  return url;
}
