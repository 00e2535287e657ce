/**
 * The default config as commented TOML, printed by `skiff config default`. It is rendered
 * from the same field tables and defaults that `parseConfig` uses, and a test parses it back
 * and compares it with `defaultConfig()`, so the text cannot drift from the real defaults.
 */
import { defaultConfig, defaultConfigPath, hostOs, toConfigOs } from "./defaults.ts";
import {
  cniFields,
  type FieldTable,
  handlerFields,
  imageFields,
  linuxFields,
  pathsFields,
  runtimeFields,
  serverFields,
  streamingFields,
} from "./fields.ts";
import type { ConfigOs } from "./schema.ts";
import { tomlPath } from "./toml-text.ts";

function renderTable<S>(out: string[], path: string[], doc: string, fields: FieldTable<S>, value: S): void {
  out.push("", `# ${doc}`, `[${tomlPath(path)}]`);
  for (const f of fields) {
    // Each field's codec is typed against its own property; the union here loses that pairing.
    const encode = f.codec.encode as (v: unknown) => string;
    out.push(`# ${f.doc}`, `${f.key} = ${encode(value[f.prop])}`);
  }
}

/** The full default config for `os` as commented TOML: every key, each with a one-line comment. */
export function defaultConfigToml(os: NodeJS.Platform | ConfigOs = hostOs()): string {
  const target = toConfigOs(os);
  const c = defaultConfig(target);
  const out = [
    `# skiff configuration: every key with its default value on ${target}.`,
    `# skiff reads ${defaultConfigPath(target)} (or --config, or $SKIFF_CONFIG). A file needs only`,
    "# the keys it changes; every other key keeps the value shown here.",
    '# Durations: "500ms", "10s", "5m", "4h", "1h30m". Sizes: bytes, or "512KiB", "16MiB", "1GiB".',
  ];
  renderTable(out, ["server"], "The CRI gRPC server.", serverFields, c.server);
  renderTable(out, ["paths"], "Where skiff keeps its data.", pathsFields, c.paths);
  renderTable(
    out,
    ["linux"],
    target === "windows" ? "Linux-only settings (ignored on Windows)." : "Linux-only settings.",
    linuxFields,
    c.linux,
  );
  renderTable(out, ["runtime"], "Runtime handler selection.", runtimeFields, c.runtime);
  for (const [name, handler] of Object.entries(c.runtimes)) {
    renderTable(out, ["runtimes", name], `Runtime handler "${name}" (a RuntimeClass handler name).`, handlerFields, handler);
  }
  renderTable(out, ["cni"], "Pod networking through CNI plugins.", cniFields, c.cni);
  out.push(
    "",
    "# Registries: mirrors and per-host settings, keyed by host (none by default). For example:",
    "[registry]",
    '# [registry.mirrors."docker.io"]',
    "# # Mirrors tried in order before the registry itself.",
    '# endpoints = ["https://mirror.example.com"]',
    '# [registry.hosts."myreg:5000"]',
    "# insecure_skip_verify = false  # do not verify the registry's TLS certificate",
    "# plain_http = false            # talk plain HTTP instead of HTTPS",
    `# ca_file = ${target === "windows" ? "'C:\\ProgramData\\skiff\\certs\\myreg.pem'" : '"/etc/skiff/certs/myreg.pem"'}  # CAs to trust for this host`,
    '# username = ""                 # basic auth user',
    '# password = ""                 # basic auth password',
    '# auth = ""                     # base64 of "username:password", instead of the two above',
    '# identity_token = ""           # refresh token for the registry\'s token server',
  );
  renderTable(out, ["image"], "Image pulls and storage.", imageFields, c.image);
  renderTable(out, ["streaming"], "The exec/attach/port-forward server.", streamingFields, c.streaming);
  return `${out.join("\n")}\n`;
}

/** `defaultConfigToml` for the OS skiff runs on. */
export const DEFAULT_CONFIG_TOML: string = defaultConfigToml(hostOs());
