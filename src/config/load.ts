/**
 * `loadConfig`: finds the config file and parses it. Precedence, first match wins:
 * 1. `opts.path` (the `--config` flag): must exist;
 * 2. `$SKIFF_CONFIG`: must exist;
 * 3. the OS's default path (`/etc/skiff/config.toml`, `C:\ProgramData\skiff\config.toml`), if present;
 * 4. the embedded defaults, reported as source `<embedded defaults>`.
 * A file that was asked for by name and is missing is an error, never a silent fall back to
 * the defaults: a typo in a path must not start a node with a config nobody meant.
 */
import { readFile } from "node:fs/promises";
import { ConfigError } from "./config-error.ts";
import { defaultConfig, defaultConfigPath, EMBEDDED_DEFAULTS_SOURCE, hostOs, toConfigOs } from "./defaults.ts";
import { parseConfig } from "./parse.ts";
import type { Config, ConfigOs } from "./schema.ts";

export interface LoadConfigOptions {
  /** An explicit config file (from `--config`). */
  path?: string;
  /** Where `SKIFF_CONFIG` is read from; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Whose defaults and default path apply; defaults to the running OS. */
  os?: NodeJS.Platform | ConfigOs;
  /** Replaces the OS's default config path (tests point it into a temp dir). */
  defaultPath?: string;
  /** The OS whose runtime handler types are allowed; defaults to `os` (see `parseConfig`). */
  handlerOs?: ConfigOs;
}

export interface LoadedConfig {
  config: Config;
  /** The file the config came from, or `<embedded defaults>`. */
  source: string;
}

/** Finds, reads and parses the config; throws `ConfigError` for a missing named file or any problem in the file. */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const os = toConfigOs(opts.os ?? hostOs());
  const env = opts.env ?? process.env;
  const fromEnv = env.SKIFF_CONFIG;

  if (opts.path !== undefined && opts.path !== "") return load(opts.path, os, "the config path", opts.handlerOs);
  if (fromEnv !== undefined && fromEnv !== "") return load(fromEnv, os, "SKIFF_CONFIG", opts.handlerOs);

  const fallback = opts.defaultPath ?? defaultConfigPath(os);
  const text = await readText(fallback, undefined);
  if (text === undefined) return { config: defaultConfig(os), source: EMBEDDED_DEFAULTS_SOURCE };
  return { config: parseConfig(text, fallback, os, opts.handlerOs), source: fallback };
}

async function load(path: string, os: ConfigOs, origin: string, handlerOs?: ConfigOs): Promise<LoadedConfig> {
  const text = (await readText(path, origin)) as string;
  return { config: parseConfig(text, path, os, handlerOs), source: path };
}

/**
 * Reads a file. A missing file gives `undefined` when nobody named it (`origin` undefined)
 * and a `ConfigError` when someone did; any other failure (EACCES, EISDIR) is always an error.
 */
async function readText(path: string, origin: string | undefined): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = err instanceof Error && "code" in err ? String(err.code) : undefined;
    if (code === "ENOENT" && origin === undefined) return undefined;
    const message =
      code === "ENOENT"
        ? `config file does not exist (named by ${origin})`
        : `cannot read config file: ${code ?? String(err)}`;
    throw new ConfigError(path, [{ path: [], message }], { cause: err });
  }
}
