/**
 * Which URLs to try for a registry, in order, with the TLS settings and credentials of
 * each: the configured mirrors first, then the registry itself (the "origin"), as
 * containerd's `registry.mirrors` does.
 *
 * Plain HTTP: an endpoint is spoken to over HTTP when its URL says `http://` (mirrors),
 * when its host entry sets `plainHttp: true`, or, with no `plainHttp` in its host entry,
 * when the origin is a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`). Loopback
 * traffic never leaves the node, which is why Docker lists 127.0.0.0/8 as an insecure
 * registry by default; set `plainHttp: false` for a loopback registry that serves TLS.
 *
 * Credentials: a host entry's own credentials go to that host. The CRI request's
 * AuthConfig (the kubelet's secret for the image's registry) goes to the origin, and
 * to a mirror only when its `serverAddress` names that mirror: a mirror is another
 * party, and the kubelet's password is not meant for it.
 */
import { InvalidArgumentError } from "../../errors.ts";
import { registryApiHost } from "../reference.ts";
import {
  type AuthConfig,
  type RegistryCredentials,
  credentialsFromAuthConfig,
  serverAddressHost,
} from "./credentials.ts";

/** Per-host settings (skiff's config `[registry.hosts."host:port"]`). */
export type RegistryHostConfig = {
  plainHttp?: boolean;
  insecureSkipVerify?: boolean;
  /** PEM file with CA certificates to trust for this host, on top of the system's. */
  caFile?: string;
  username?: string;
  password?: string;
  auth?: string;
  identityToken?: string;
};

/** The registry part of skiff's config. Keys are registry hosts as written in images. */
export type RegistryConfig = {
  /** Mirror URLs (with scheme, optionally a path prefix) per registry; `*` for all. */
  mirrors?: Record<string, { endpoints: string[] }>;
  hosts?: Record<string, RegistryHostConfig>;
};

/** One place to send requests for a registry. */
export type RegistryEndpoint = {
  /** Scheme, host and path prefix, without a trailing slash; API paths (`/v2/…`) are appended. */
  base: string;
  /** `host[:port]` of the endpoint, for messages and config lookup. */
  host: string;
  /** True for a mirror, false for the registry itself. */
  mirror: boolean;
  plainHttp: boolean;
  insecureSkipVerify: boolean;
  caFile?: string;
  credentials?: RegistryCredentials;
};

/** True for hosts that resolve to this machine only. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.startsWith("[")
    ? hostPort.slice(1, hostPort.indexOf("]"))
    : hostPort.replace(/:\d+$/, "");
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * The endpoints to try for `registry` (a domain as in an image reference, with port),
 * mirrors first, then the origin. `auth` is the CRI request's AuthConfig, if any.
 */
export function resolveEndpoints(registry: string, config: RegistryConfig = {}, auth?: AuthConfig): RegistryEndpoint[] {
  const hosts = config.hosts ?? {};
  const criCredentials = credentialsFromAuthConfig(auth, "auth");
  const criHost = auth?.serverAddress ? serverAddressHost(auth.serverAddress) : undefined;
  const out: RegistryEndpoint[] = [];

  const mirrorKey = config.mirrors?.[registry] ? registry : "*";
  const mirrorUrls = config.mirrors?.[mirrorKey]?.endpoints ?? [];
  mirrorUrls.forEach((raw, i) => {
    const field = `mirrors["${mirrorKey}"].endpoints[${i}]`;
    const url = parseEndpointUrl(raw, field);
    const hostConfig = hosts[url.host] ?? {};
    out.push({
      base: url.base,
      host: url.host,
      mirror: true,
      plainHttp: url.protocol === "http:",
      insecureSkipVerify: hostConfig.insecureSkipVerify ?? false,
      ...(hostConfig.caFile !== undefined && { caFile: hostConfig.caFile }),
      ...credentialsFor(hostConfig, `hosts["${url.host}"]`, criHost === url.host ? criCredentials : undefined),
    });
  });

  const apiHost = registryApiHost(registry);
  const hostConfig = hosts[registry] ?? hosts[apiHost] ?? {};
  const plainHttp = hostConfig.plainHttp ?? isLoopbackHost(apiHost);
  const origin: RegistryEndpoint = {
    base: `${plainHttp ? "http" : "https"}://${apiHost}`,
    host: apiHost,
    mirror: false,
    plainHttp,
    insecureSkipVerify: hostConfig.insecureSkipVerify ?? false,
    ...(hostConfig.caFile !== undefined && { caFile: hostConfig.caFile }),
    ...credentialsFor(hostConfig, `hosts["${registry}"]`, criCredentials),
  };
  // A mirror list that names the origin itself would only try it twice.
  if (!out.some((e) => e.base === origin.base)) out.push(origin);
  return out;
}

/** The request's credentials win over the host entry's. */
function credentialsFor(
  hostConfig: RegistryHostConfig,
  field: string,
  fromRequest: RegistryCredentials | undefined,
): { credentials?: RegistryCredentials } {
  const credentials = fromRequest ?? credentialsFromAuthConfig(hostConfig, field);
  return credentials ? { credentials } : {};
}

function parseEndpointUrl(raw: string, field: string): { base: string; host: string; protocol: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError(field, `"${raw}" is not a URL (write it with http:// or https://)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError(field, `"${url.protocol}" is not http: or https:`);
  }
  if (url.username || url.password) {
    // A URL ends up in messages; credentials belong in the host entry.
    throw new InvalidArgumentError(field, "must not carry credentials; set them in the host's entry");
  }
  if (url.search || url.hash) throw new InvalidArgumentError(field, "must not have a query or fragment");
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v2$/, "");
  return { base: `${url.protocol}//${url.host}${path}`, host: url.host, protocol: url.protocol };
}
