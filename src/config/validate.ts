/**
 * Pure checks across fields, run after every value has been decoded on its own: things no
 * single key can know, such as whether `default_runtime` names a defined handler. They look
 * at nothing outside the config; the checks that touch the host (does runc exist?) are in
 * `host.ts`, in the spirit of CRI-O's `Validate(onExecution)` split.
 */
import type { ConfigProblem } from "./config-error.ts";
import { hostOs, toConfigOs } from "./defaults.ts";
import type { Config, ConfigOs, RuntimeType } from "./schema.ts";

const TYPE_OS: Record<RuntimeType, ConfigOs> = { oci: "linux", hcs: "windows" };

/** Cross-field problems of a decoded config, keyed by TOML path (no line numbers: the caller adds them). */
export function validateConfig(config: Config, os: NodeJS.Platform | ConfigOs = hostOs(), handlerOs?: ConfigOs): ConfigProblem[] {
  const target = toConfigOs(os);
  // `handlerOs` adds another OS's handler type (the windows-fake test mode runs hcs handlers on Linux).
  const allowed = (t: RuntimeType) => TYPE_OS[t] === target || TYPE_OS[t] === handlerOs;
  const problems: ConfigProblem[] = [];
  const add = (path: string[], message: string) => problems.push({ path, message });

  const handlers = Object.keys(config.runtimes);
  const wanted = config.runtime.defaultRuntime;
  if (!handlers.includes(wanted)) {
    const defined = handlers.length === 0 ? "none" : handlers.map((h) => JSON.stringify(h)).join(", ");
    add(["runtime", "default_runtime"], `runtime handler ${JSON.stringify(wanted)} is not defined in [runtimes] (defined: ${defined})`);
  }

  for (const [name, h] of Object.entries(config.runtimes)) {
    const at = (key: string) => ["runtimes", name, key];
    if (!allowed(h.runtimeType)) {
      add(at("runtime_type"), `runtime_type ${JSON.stringify(h.runtimeType)} is only available on ${TYPE_OS[h.runtimeType]}`);
    } else if (h.runtimeType === "oci" && h.runtimePath === "") {
      add(at("runtime_path"), 'required when runtime_type is "oci": the absolute path of the runtime binary');
    } else if (h.runtimeType === "hcs" && h.runtimePath !== "") {
      add(at("runtime_path"), 'must be empty when runtime_type is "hcs": skiff calls the Host Compute Service directly');
    }
    if (h.runtimeType !== "hcs") {
      if (h.sandboxIsolation !== "process") add(at("sandbox_isolation"), 'only applies when runtime_type is "hcs"');
      if (h.hcsSchemaVersion !== "auto") add(at("hcs_schema_version"), 'only applies when runtime_type is "hcs"');
      if (h.hcsKeepResourcesOnFailure) add(at("hcs_keep_resources_on_failure"), 'only applies when runtime_type is "hcs"');
    }
  }

  for (const [host, m] of Object.entries(config.registry.mirrors)) {
    if (m.endpoints.length === 0) add(["registry", "mirrors", host, "endpoints"], "must list at least one endpoint URL");
  }

  for (const [host, h] of Object.entries(config.registry.hosts)) {
    const at = (key: string) => ["registry", "hosts", host, key];
    if (h.auth !== "" && (h.username !== "" || h.password !== "")) {
      add(at("auth"), "set either auth or username and password, not both");
    }
    if (h.password !== "" && h.username === "") add(at("password"), "a password needs a username");
  }

  const st = config.streaming;
  if ((st.tlsCertFile === "") !== (st.tlsKeyFile === "")) {
    add(["streaming", st.tlsCertFile === "" ? "tls_cert_file" : "tls_key_file"], "set tls_cert_file and tls_key_file together, or neither (a self-signed certificate)");
  }
  if (st.tokenTtlMs <= 0) add(["streaming", "token_ttl"], "must be longer than 0s");

  return problems;
}
