import type { Config } from "../config/index.ts";
import type { RegistryConfig, RegistryHostConfig } from "./registry/index.ts";

/** skiff's `[registry]` config in the registry client's terms; empty strings mean "not set". */
export function registryConfigFrom(config: Config): RegistryConfig {
  const hosts: Record<string, RegistryHostConfig> = {};
  for (const [host, h] of Object.entries(config.registry.hosts)) {
    hosts[host] = {
      plainHttp: h.plainHttp,
      insecureSkipVerify: h.insecureSkipVerify,
      caFile: h.caFile || undefined,
      username: h.username || undefined,
      password: h.password || undefined,
      auth: h.auth || undefined,
      identityToken: h.identityToken || undefined,
    };
  }
  return { mirrors: config.registry.mirrors, hosts };
}
