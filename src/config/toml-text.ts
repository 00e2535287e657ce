/**
 * Small helpers to write TOML text: string literals, keys and dotted key paths.
 * Used to render the default config and to name keys in error messages the way a user
 * would write them (`runtimes."my.handler".runtime_path`).
 */

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * A TOML string literal. Strings with backslashes (Windows paths) become literal strings
 * ('C:\ProgramData\skiff') when that is possible, because they read better unescaped;
 * everything else is a basic string. JSON's escapes (\", \\, \n, \uXXXX) are all valid TOML.
 */
export function tomlString(s: string): string {
  if (s.includes("\\") && !/['\u0000-\u001f\u007f]/.test(s)) return `'${s}'`;
  return JSON.stringify(s);
}

/** One key segment: bare when TOML allows it, quoted otherwise. */
export function tomlKey(segment: string): string {
  return BARE_KEY.test(segment) ? segment : JSON.stringify(segment);
}

/** A dotted key path as it would appear in a TOML file, e.g. `registry.hosts."myreg:5000"`. */
export function tomlPath(path: readonly string[]): string {
  return path.map(tomlKey).join(".");
}

/** A scalar or array value as TOML text. */
export function tomlValue(v: string | number | boolean | readonly string[]): string {
  if (typeof v === "string") return tomlString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return `[${v.map(tomlString).join(", ")}]`;
}

/** How a value parsed from TOML is called in "expected X, got Y" messages. */
export function describeTomlValue(v: unknown): string {
  if (typeof v === "string") return `a string (${JSON.stringify(v)})`;
  if (typeof v === "boolean") return `a boolean (${v})`;
  if (typeof v === "number") return Number.isInteger(v) ? `an integer (${v})` : `a float (${v})`;
  if (Array.isArray(v)) return "an array";
  if (v !== null && typeof v === "object") return "a table";
  return String(v);
}

/** True for a TOML table as `Bun.TOML.parse` returns it (a plain object, not an array). */
export function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
