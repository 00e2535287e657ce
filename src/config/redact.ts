import type { Config } from "./schema.ts";

/** What a secret is replaced with by `redactConfig`. */
export const REDACTED = "<redacted>";

/**
 * A deep copy of `config` that is safe to show, e.g. in the verbose `Status` info: registry
 * passwords, `auth` strings and identity tokens become `<redacted>`. Empty ones stay empty,
 * so the output still tells which credentials are set. The input is not modified.
 */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  const hide = (s: string) => (s === "" ? "" : REDACTED);
  for (const host of Object.values(copy.registry.hosts)) {
    host.password = hide(host.password);
    host.auth = hide(host.auth);
    host.identityToken = hide(host.identityToken);
  }
  return copy;
}
