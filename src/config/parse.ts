/**
 * `parseConfig`: TOML text → a complete, checked `Config`. The file is merged over the
 * embedded defaults key by key, so it only needs the keys it changes. Every problem is
 * collected (unknown keys, wrong types, bad values, cross-field errors) and thrown together
 * as one `ConfigError`, each with the line it is on.
 */
import type { CodecContext } from "./codecs.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import {
  baseDefaults,
  hostOs,
  newHandlerDefaults,
  newMirrorDefaults,
  newRegistryHostDefaults,
  resolveDerived,
  toConfigOs,
} from "./defaults.ts";
import {
  cniFields,
  type FieldTable,
  handlerFields,
  handlerNameProblem,
  hostFields,
  imageFields,
  linuxFields,
  mirrorFields,
  pathsFields,
  registryHostProblem,
  runtimeFields,
  serverFields,
  streamingFields,
} from "./fields.ts";
import { findSyntaxErrorLine, KeyLocator } from "./locate.ts";
import type { Config, ConfigOs, RegistryConfig } from "./schema.ts";
import { describeTomlValue, isTable } from "./toml-text.ts";
import { validateConfig } from "./validate.ts";

/**
 * Parses a config file's text. `source` names it in error messages (a path, usually);
 * `os` picks the defaults it is merged over and what counts as an absolute path.
 * @throws ConfigError listing every problem, as `<source>:<line>: <dotted.key>: <what is wrong>`
 */
/**
 * `handlerOs` lets the handlers be of another OS's runtime type than `os` (the test mode
 * `skiff serve --platform windows-fake` runs hcs handlers on Linux).
 */
export function parseConfig(text: string, source: string, os: NodeJS.Platform | ConfigOs = hostOs(), handlerOs?: ConfigOs): Config {
  let raw: unknown;
  try {
    raw = Bun.TOML.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const line = findSyntaxErrorLine(text, message);
    const problem: ConfigProblem = { path: [], line, message: `invalid TOML: ${tidyTomlMessage(message)}` };
    throw new ConfigError(source, [problem], { cause: err });
  }

  const target = toConfigOs(os);
  const problems: ConfigProblem[] = [];
  const config = resolveDerived(decodeConfig(raw, new Decoder({ os: target }, problems)), target);
  // A key that already failed to decode kept its default; checking it again would only repeat the error.
  const failed = new Set(problems.map((p) => p.path.join("\0")));
  for (const p of validateConfig(config, target, handlerOs)) {
    if (!failed.has(p.path.join("\0"))) problems.push(p);
  }
  if (problems.length === 0) return config;

  const locator = new KeyLocator(text);
  const located = problems.map((p) => ({ ...p, line: locator.lineOf(p.path) }));
  located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  throw new ConfigError(source, located);
}

/** Bun says "TOML Parse error: Expected a value but found '='"; we say "expected a value but found '='". */
function tidyTomlMessage(message: string): string {
  const rest = message.replace(/^TOML Parse error:\s*/, "");
  return rest.charAt(0).toLowerCase() + rest.slice(1);
}

class Decoder {
  constructor(
    readonly ctx: CodecContext,
    readonly problems: ConfigProblem[],
  ) {}

  problem(path: string[], message: string, suffix?: string): void {
    this.problems.push(suffix === undefined ? { path, message } : { path, suffix, message });
  }

  /** Checks that `raw` is a table whose keys are all in `known`; false if it is not a table at all. */
  checkKeys(raw: unknown, path: string[], known: readonly string[]): raw is Record<string, unknown> {
    if (!isTable(raw)) {
      this.problem(path, `expected a table, got ${describeTomlValue(raw)}`);
      return false;
    }
    for (const [key, value] of Object.entries(raw)) {
      if (!known.includes(key)) this.problem([...path, key], unknownKeyMessage(key, value, known));
    }
    return true;
  }

  /** A copy of `base` with the keys `raw` sets decoded over it. */
  table<S extends object>(raw: unknown, path: string[], fields: FieldTable<S>, base: S): S {
    const out = { ...base };
    if (raw === undefined || !this.checkKeys(raw, path, fields.map((f) => f.key))) return out;
    for (const f of fields) {
      if (!(f.key in raw)) continue;
      const d = f.codec.decode(raw[f.key], this.ctx);
      if (d.ok) (out as Record<PropertyKey, unknown>)[f.prop] = d.value;
      else for (const e of d.errors) this.problem([...path, f.key], e.message, e.suffix);
    }
    return out;
  }

  /** A map of named tables (`[runtimes.<name>]`): entries named in the file are merged over the same entry in `base`, or over `fresh()`. */
  map<V extends object>(
    raw: unknown,
    path: string[],
    fields: FieldTable<V>,
    base: Record<string, V>,
    fresh: () => V,
    nameProblem: (name: string) => string | undefined,
  ): Record<string, V> {
    const out = { ...base };
    if (raw === undefined) return out;
    if (!isTable(raw)) {
      this.problem(path, `expected a table, got ${describeTomlValue(raw)}`);
      return out;
    }
    for (const [name, entry] of Object.entries(raw)) {
      const bad = nameProblem(name);
      if (bad !== undefined) this.problem([...path, name], bad);
      else out[name] = this.table(entry, [...path, name], fields, base[name] ?? fresh());
    }
    return out;
  }
}

const SECTIONS = ["server", "paths", "linux", "runtime", "runtimes", "cni", "registry", "image", "streaming"];

function decodeConfig(raw: unknown, d: Decoder): Config {
  const os = d.ctx.os;
  const base = baseDefaults(os);
  if (!d.checkKeys(raw, [], SECTIONS)) return base;
  return {
    server: d.table(raw.server, ["server"], serverFields, base.server),
    paths: d.table(raw.paths, ["paths"], pathsFields, base.paths),
    linux: d.table(raw.linux, ["linux"], linuxFields, base.linux),
    runtime: d.table(raw.runtime, ["runtime"], runtimeFields, base.runtime),
    runtimes: d.map(raw.runtimes, ["runtimes"], handlerFields, base.runtimes, () => newHandlerDefaults(os), handlerNameProblem),
    cni: d.table(raw.cni, ["cni"], cniFields, base.cni),
    registry: decodeRegistry(raw.registry, d, base.registry),
    image: d.table(raw.image, ["image"], imageFields, base.image),
    streaming: d.table(raw.streaming, ["streaming"], streamingFields, base.streaming),
  };
}

function decodeRegistry(raw: unknown, d: Decoder, base: RegistryConfig): RegistryConfig {
  if (raw === undefined || !d.checkKeys(raw, ["registry"], ["mirrors", "hosts"])) return base;
  return {
    mirrors: d.map(raw.mirrors, ["registry", "mirrors"], mirrorFields, base.mirrors, newMirrorDefaults, (h) =>
      registryHostProblem(h, true),
    ),
    hosts: d.map(raw.hosts, ["registry", "hosts"], hostFields, base.hosts, newRegistryHostDefaults, (h) =>
      registryHostProblem(h, false),
    ),
  };
}

/** "unknown key", with the closest known key when it looks like a typo, else the list of known keys. */
function unknownKeyMessage(key: string, value: unknown, known: readonly string[]): string {
  const what = isTable(value) ? "unknown table" : "unknown key";
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = editDistance(key, k);
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3))) {
    return `${what} (did you mean ${JSON.stringify(best)}?)`;
  }
  return `${what} (expected one of: ${known.join(", ")})`;
}

/** Levenshtein distance, for typo suggestions. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
