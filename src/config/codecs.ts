/**
 * Codecs turn one TOML value into its typed config value (checking it on the way) and back
 * into TOML text. Each field of the schema names its codec in `fields.ts`, so decoding a
 * file and rendering the default config go through the same code.
 */
import type { ConfigOs } from "./schema.ts";
import { describeTomlValue, tomlValue } from "./toml-text.ts";
import {
  formatDuration,
  formatFileMode,
  formatSize,
  parseDuration,
  parseFileMode,
  parseSize,
} from "./units.ts";

export interface CodecContext {
  /** The OS the config is for: it decides what an absolute path looks like. */
  os: ConfigOs;
}

/** One thing wrong with a value; `suffix` narrows the key, e.g. `[2]` for an array item. */
export interface ValueError {
  suffix?: string;
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; errors: ValueError[] };

export interface Codec<T> {
  decode(raw: unknown, ctx: CodecContext): Decoded<T>;
  /** The value as TOML text, e.g. `"10s"` for 10_000 ms. */
  encode(value: T): string;
}

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const fail = <T>(message: string, suffix?: string): Decoded<T> => ({
  ok: false,
  errors: [suffix === undefined ? { message } : { suffix, message }],
});
const expected = <T>(what: string, raw: unknown): Decoded<T> =>
  fail(`expected ${what}, got ${describeTomlValue(raw)}`);

/** A string, optionally checked by `check` (which returns a message when the string is bad). */
export function str(check?: (s: string, ctx: CodecContext) => string | undefined): Codec<string> {
  return {
    decode: (raw, ctx) => {
      if (typeof raw !== "string") return expected("a string", raw);
      const problem = check?.(raw, ctx);
      return problem === undefined ? ok(raw) : fail(problem);
    },
    encode: tomlValue,
  };
}

export const bool: Codec<boolean> = {
  decode: (raw) => (typeof raw === "boolean" ? ok(raw) : expected("a boolean (true or false)", raw)),
  encode: tomlValue,
};

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Codec<number> {
  return {
    decode: (raw) => {
      if (typeof raw !== "number" || !Number.isInteger(raw)) return expected("an integer", raw);
      if (raw < min || raw > max) return fail(`must be between ${min} and ${max}, got ${raw}`);
      return ok(raw);
    },
    encode: tomlValue,
  };
}

/** One of a fixed list of strings. */
export function oneOf<const T extends string>(values: readonly T[]): Codec<T> {
  const list = values.map((v) => JSON.stringify(v)).join(", ");
  return {
    decode: (raw) => {
      if (typeof raw !== "string") return expected(`one of ${list}`, raw);
      return (values as readonly string[]).includes(raw)
        ? ok(raw as T)
        : fail(`must be one of ${list}, got ${JSON.stringify(raw)}`);
    },
    encode: tomlValue,
  };
}

// Node and Bun timers fire at once for delays above 2^31-1 ms; refuse them here instead.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration string ("10s", "1h30m") decoded to milliseconds. */
export const duration: Codec<number> = {
  decode: (raw) => {
    if (typeof raw !== "string") return expected('a duration string like "10s" or "1h30m"', raw);
    const ms = parseDuration(raw);
    if (ms === undefined) {
      return fail(`invalid duration ${JSON.stringify(raw)}: use a number with a unit of h, m, s or ms, like "10s" or "1h30m"`);
    }
    if (ms > MAX_TIMER_MS) return fail(`duration ${JSON.stringify(raw)} is too long: at most 596h`);
    return ok(ms);
  },
  encode: (ms) => tomlValue(formatDuration(ms)),
};

/** A byte size: an integer (bytes) or a string with a binary unit ("16MiB"). */
export function size(min: number, max = Number.MAX_SAFE_INTEGER): Codec<number> {
  return {
    decode: (raw) => {
      let bytes: number | undefined;
      if (typeof raw === "number" && Number.isInteger(raw)) bytes = raw;
      else if (typeof raw === "string") {
        bytes = parseSize(raw);
        if (bytes === undefined) {
          return fail(`invalid size ${JSON.stringify(raw)}: use bytes or a binary unit, like "512KiB", "16MiB" or "1GiB"`);
        }
      } else return expected('a size (bytes, or a string like "16MiB")', raw);
      if (bytes < min || bytes > max) return fail(`must be between ${min} and ${max} bytes, got ${bytes}`);
      return ok(bytes);
    },
    encode: (bytes) => tomlValue(formatSize(bytes)),
  };
}

/** Permission bits written as an octal string, "0660". */
export const fileMode: Codec<number> = {
  decode: (raw) => {
    if (typeof raw !== "string") return expected('an octal mode string like "0660"', raw);
    const mode = parseFileMode(raw);
    return mode === undefined ? fail(`invalid mode ${JSON.stringify(raw)}: use octal digits, like "0660"`) : ok(mode);
  },
  encode: (mode) => tomlValue(formatFileMode(mode)),
};

/** True if `p` is absolute on `os`: "/..." on Linux; "C:\..." or "\\server\share" on Windows. */
export function isAbsolutePath(p: string, os: ConfigOs): boolean {
  if (os === "windows") return /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\]+\\[^\\]+/.test(p);
  return p.startsWith("/");
}

function pathProblem(p: string, ctx: CodecContext, allowEmpty: boolean): string | undefined {
  if (p === "") return allowEmpty ? undefined : "must not be empty";
  if (p.includes("\0")) return "must not contain a NUL character";
  if (!isAbsolutePath(p, ctx.os)) {
    const like = ctx.os === "windows" ? "C:\\ProgramData\\..." : "/var/lib/...";
    return `must be an absolute path (like ${like}), got ${JSON.stringify(p)}`;
  }
  return undefined;
}

/** An absolute path; `allowEmpty` lets `""` mean "not set" or "derive it". */
export function absPath(allowEmpty: boolean): Codec<string> {
  return str((p, ctx) => pathProblem(p, ctx, allowEmpty));
}

/** An array of strings; `check` vets each item and errors are keyed by the item's index. */
export function strArray(check?: (s: string, ctx: CodecContext) => string | undefined): Codec<string[]> {
  return {
    decode: (raw, ctx) => {
      if (!Array.isArray(raw)) return expected("an array of strings", raw);
      const errors: ValueError[] = [];
      raw.forEach((item: unknown, i) => {
        if (typeof item !== "string") {
          errors.push({ suffix: `[${i}]`, message: `expected a string, got ${describeTomlValue(item)}` });
          return;
        }
        const problem = check?.(item, ctx);
        if (problem !== undefined) errors.push({ suffix: `[${i}]`, message: problem });
      });
      return errors.length > 0 ? { ok: false, errors } : ok(raw as string[]);
    },
    encode: tomlValue,
  };
}

export const absPathArray: Codec<string[]> = strArray((p, ctx) => pathProblem(p, ctx, false));

/** `"auto"`, `true` or `false`. */
export const autoOrBool: Codec<"auto" | boolean> = {
  decode: (raw) => {
    if (raw === "auto" || typeof raw === "boolean") return ok(raw);
    return expected('"auto", true or false', raw);
  },
  encode: (v) => tomlValue(v),
};

/**
 * `host:port` or `[v6]:port`, port 0-65535 (0 picks a free port); `allowEmpty` for "off".
 * The host may be empty (all interfaces), as Go's net.Listen accepts ":9090".
 */
export function hostPort(allowEmpty: boolean): Codec<string> {
  return str((s) => {
    if (s === "") return allowEmpty ? undefined : "must not be empty";
    const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]*):(\d{1,5})$/.exec(s);
    if (m === null || Number(m[2]) > 65535) {
      return `invalid address ${JSON.stringify(s)}: expected host:port, like "127.0.0.1:9090"`;
    }
    return undefined;
  });
}
