import { SkiffError } from "../errors.ts";
import { tomlPath } from "./toml-text.ts";

/** One thing wrong with a config file. */
export interface ConfigProblem {
  /** Key path as written in the file, e.g. `["runtimes", "runc", "runtime_path"]`; empty for file-level problems. */
  path: readonly string[];
  /** Narrows the key further, e.g. `[2]` for the third item of an array. */
  suffix?: string;
  /** 1-based line in the file, when it could be found. */
  line?: number;
  message: string;
}

/** Formats one problem as `<source>:<line>: <dotted.key>: <what is wrong>`; line and key are left out when unknown. */
export function formatProblem(source: string, p: ConfigProblem): string {
  const where = p.line === undefined ? source : `${source}:${p.line}`;
  const key = p.path.length === 0 ? "" : `${tomlPath(p.path)}${p.suffix ?? ""}: `;
  return `${where}: ${key}${p.message}`;
}

/**
 * Everything wrong with one config file, found in one pass and reported together, so an
 * operator fixes the file once instead of once per error. The message has one line per
 * problem. It extends `SkiffError` rather than `InvalidArgumentError` because it is about a
 * file, not a field of a request, and may name many fields.
 */
export class ConfigError extends SkiffError {
  constructor(
    /** The file (or `<embedded defaults>`) the problems are in. */
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
    options?: ErrorOptions,
  ) {
    super(problems.map((p) => formatProblem(source, p)).join("\n"), options);
  }
}
