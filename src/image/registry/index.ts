/** The OCI distribution client: see client.ts for the entry point. */
export { type RegistryClient, type RegistryClientOptions, createRegistryClient } from "./client.ts";
export type { FetchFn } from "./authorizer.ts";
export { Authorizer, repositoryScope } from "./authorizer.ts";
export type { BlobFetchOptions } from "./blob-fetch.ts";
export {
  type AuthConfig,
  type RegistryCredentials,
  basicAuthorization,
  credentialsFromAuthConfig,
  describeCredentials,
} from "./credentials.ts";
export { digestOf } from "./digest.ts";
export {
  type RegistryConfig,
  type RegistryEndpoint,
  type RegistryHostConfig,
  isLoopbackHost,
  resolveEndpoints,
} from "./hosts.ts";
export { type InFlight, createInFlight } from "./in-flight.ts";
export type { FetchedManifest, ManifestFetchOptions, ManifestTarget } from "./manifest-fetch.ts";
export { DigestMismatchError, RegistryAuthError, RegistryError } from "./registry-error.ts";
export { DEFAULT_RETRY, type RetryPolicy } from "./retry.ts";
export { type TokenCache, createTokenCache } from "./token-cache.ts";
export { type Challenge, parseWwwAuthenticate } from "./www-authenticate.ts";
