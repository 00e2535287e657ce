/**
 * Registry credentials, from every form the CRI `AuthConfig` message allows
 * (https://github.com/kubernetes/cri-api/blob/master/pkg/apis/runtime/v1/api.proto):
 * `username`+`password`, `auth` (base64 of `user:password`), `identity_token` (an
 * OAuth2 refresh token for the registry's token server) and `registry_token` (a bearer
 * token sent as is).
 *
 * Secrets never leave this module in a message: errors name the field, not the value,
 * and {@link describeCredentials} says only which form was used.
 */
import { InvalidArgumentError } from "../../errors.ts";

/** The CRI AuthConfig, in camelCase as protoc-gen-es generates it. */
export type AuthConfig = {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
};

export type RegistryCredentials =
  | { kind: "basic"; username: string; password: string }
  /** `identity_token`: exchanged at the token server with grant_type=refresh_token. */
  | { kind: "refresh-token"; username: string; refreshToken: string }
  /** `registry_token`: already a bearer token for the registry. */
  | { kind: "bearer"; token: string };

/**
 * Turns an AuthConfig into credentials, or undefined for anonymous access.
 * Precedence: registry token, identity token, username/password, then `auth`.
 * `field` names the AuthConfig in errors (e.g. `auth`).
 */
export function credentialsFromAuthConfig(
  config: AuthConfig | undefined,
  field = "auth",
): RegistryCredentials | undefined {
  if (!config) return undefined;
  if (config.registryToken) return { kind: "bearer", token: config.registryToken };
  if (config.identityToken) {
    return { kind: "refresh-token", username: config.username ?? "", refreshToken: config.identityToken };
  }
  if (config.username) return { kind: "basic", username: config.username, password: config.password ?? "" };
  if (config.auth) {
    const decoded = decodeAuth(config.auth);
    if (!decoded) {
      throw new InvalidArgumentError(`${field}.auth`, 'is not base64 of "username:password"');
    }
    return { kind: "basic", ...decoded };
  }
  if (config.password) {
    throw new InvalidArgumentError(`${field}.username`, "is empty but a password is set");
  }
  return undefined;
}

/** Decodes the `auth` field: base64 of `user:password`; the password may contain ":". */
function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth.trim())) return undefined;
  const text = Buffer.from(auth.trim(), "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The `Authorization` value for HTTP Basic auth (UTF-8, as RFC 7617 allows). */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** Which form of credentials, for messages: never the secret. */
export function describeCredentials(creds: RegistryCredentials | undefined): string {
  if (!creds) return "anonymous";
  switch (creds.kind) {
    case "basic":
      return "username/password";
    case "refresh-token":
      return "identity token";
    case "bearer":
      return "registry token";
  }
}

/**
 * A stable, one-way fingerprint of credentials, to key cached tokens by who asked
 * for them without keeping the secret in the key.
 */
export function credentialsFingerprint(creds: RegistryCredentials | undefined): string {
  if (!creds) return "anonymous";
  const secret =
    creds.kind === "basic"
      ? `basic\0${creds.username}\0${creds.password}`
      : creds.kind === "refresh-token"
        ? `refresh\0${creds.username}\0${creds.refreshToken}`
        : `bearer\0${creds.token}`;
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}

/** The host part of an AuthConfig `server_address` (`https://index.docker.io/v1/` → `docker.io`). */
export function serverAddressHost(address: string): string {
  let host = address.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  host = host.split("/")[0]!.toLowerCase();
  if (host === "index.docker.io" || host === "registry-1.docker.io") host = "docker.io";
  return host;
}
