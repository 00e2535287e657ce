/**
 * Host checks: the part of validation that looks at the machine, run once at `skiff serve`
 * start (and by `skiff config check`), kept apart from the pure checks in `validate.ts` the
 * way CRI-O's `Validate(onExecution)` separates them. A config can be valid on paper and
 * still fail here, e.g. when it is written on one node for another.
 */
import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { hostOs, toConfigOs } from "./defaults.ts";
import type { Config, ConfigOs } from "./schema.ts";
import { tomlPath } from "./toml-text.ts";

/**
 * What `checkHost` found. `errors` must stop skiff from serving: the default handler cannot
 * run, or a file the config names is missing or broken. `warnings` are for handlers other
 * than the default whose binary is missing (crun need not be installed): pods that ask for
 * them fail, everything else works. Each entry reads `<dotted.key>: <what is wrong>`.
 */
export interface HostCheckResult {
  errors: string[];
  warnings: string[];
}

/** Checks the files a config points at: runtime binaries, base runtime specs and registry CA files. */
export async function checkHost(config: Config, os: NodeJS.Platform | ConfigOs = hostOs()): Promise<HostCheckResult> {
  const target = toConfigOs(os);
  const result: HostCheckResult = { errors: [], warnings: [] };
  const report = (list: string[], path: string[], problem: string | undefined) => {
    if (problem !== undefined) list.push(`${tomlPath(path)}: ${problem}`);
  };

  for (const [name, h] of Object.entries(config.runtimes)) {
    if (h.runtimeType === "oci" && h.runtimePath !== "") {
      const problem = await executableProblem(h.runtimePath, target);
      if (name === config.runtime.defaultRuntime) {
        report(result.errors, ["runtimes", name, "runtime_path"], problem);
      } else if (problem !== undefined) {
        report(result.warnings, ["runtimes", name, "runtime_path"], `${problem}; pods using runtime handler "${name}" will fail`);
      }
    }
    if (h.baseRuntimeSpec !== "") {
      report(result.errors, ["runtimes", name, "base_runtime_spec"], await baseSpecProblem(name, h.baseRuntimeSpec));
    }
  }

  for (const [host, h] of Object.entries(config.registry.hosts)) {
    if (h.caFile !== "") report(result.errors, ["registry", "hosts", host, "ca_file"], await regularFileProblem(h.caFile));
  }
  for (const key of ["tlsCertFile", "tlsKeyFile"] as const) {
    const file = config.streaming[key];
    if (config.streaming.enableTls && file !== "") report(result.errors, ["streaming", key === "tlsCertFile" ? "tls_cert_file" : "tls_key_file"], await regularFileProblem(file));
  }
  return result;
}

function errnoOf(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

async function regularFileProblem(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? undefined : `${JSON.stringify(path)} is not a regular file`;
  } catch (err) {
    const code = errnoOf(err);
    if (code === "ENOENT" || code === "ENOTDIR") return `${JSON.stringify(path)} does not exist`;
    return `cannot stat ${JSON.stringify(path)}: ${code ?? String(err)}`;
  }
}

async function executableProblem(path: string, os: ConfigOs): Promise<string | undefined> {
  const problem = await regularFileProblem(path);
  // Windows has no execute bit; existence is all that can be checked there.
  if (problem !== undefined || os === "windows") return problem;
  try {
    await access(path, constants.X_OK);
    return undefined;
  } catch {
    return `${JSON.stringify(path)} is not executable`;
  }
}

/**
 * A base spec must be a JSON object with a string `ociVersion`: the least that tells an OCI
 * runtime spec apart from some other JSON file. The full spec is read again by src/oci at
 * start; this check only makes the failure early and clear.
 */
async function baseSpecProblem(handler: string, path: string): Promise<string | undefined> {
  const what = `base runtime spec ${JSON.stringify(path)} of runtime handler ${JSON.stringify(handler)}`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = errnoOf(err);
    return code === "ENOENT" ? `${what} does not exist` : `cannot read ${what}: ${code ?? String(err)}`;
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    return `${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) return `${what} is not a JSON object`;
  if (typeof (spec as { ociVersion?: unknown }).ociVersion !== "string") {
    return `${what} has no "ociVersion" string; is it an OCI runtime spec (config.json)?`;
  }
  return undefined;
}
