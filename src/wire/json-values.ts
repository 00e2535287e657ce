/**
 * Proto JSON for single values, as the generated JSON functions (src/wire/gen/) use them:
 * 64-bit integers as decimal strings, bytes as standard base64, non-finite floats as
 * "NaN" / "Infinity" / "-Infinity", enums by value name. Readers take what protobuf-es's
 * toJson writes and what proto JSON allows besides (numbers as strings, enums by number);
 * a value of the wrong kind is an error naming its field.
 */

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

const bad = (where: string, what: string, v: unknown) => new Error(`cannot read ${where} from JSON: ${what}, got ${JSON.stringify(v)}`);

export function enumName(names: Record<number, string>, v: number): string | number {
  return names[v] ?? v;
}

/** An enum's value for a name or number; undefined for a name it does not have (ignored, as unknown fields are). */
export function enumValue(names: Record<number, string>, v: JsonValue, where: string): number | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v !== "string") throw bad(where, "want an enum name or number", v);
  for (const [n, name] of Object.entries(names)) if (name === v) return Number(n);
  return undefined;
}

export function bytesJson(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
}

export function bytesFromJson(v: JsonValue, where: string): Uint8Array {
  if (typeof v !== "string") throw bad(where, "want base64 text", v);
  return new Uint8Array(Buffer.from(v, v.includes("-") || v.includes("_") ? "base64url" : "base64"));
}

export function floatJson(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  return v;
}

export function floatFromJson(v: JsonValue, where: string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw bad(where, "want a number", v);
}

export function intFromJson(v: JsonValue, where: string): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw bad(where, "want an integer", v);
  return n;
}

export function bigintFromJson(v: JsonValue, where: string): bigint {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  throw bad(where, "want an integer", v);
}

export function stringFromJson(v: JsonValue, where: string): string {
  if (typeof v !== "string") throw bad(where, "want a string", v);
  return v;
}

export function boolFromJson(v: JsonValue, where: string): boolean {
  if (typeof v !== "boolean") throw bad(where, "want true or false", v);
  return v;
}

export function arrayFromJson(v: JsonValue, where: string): JsonValue[] {
  if (!Array.isArray(v)) throw bad(where, "want an array", v);
  return v;
}

export function objectFromJson(v: JsonValue, where: string): { [key: string]: JsonValue } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(where, "want an object", v);
  return v;
}
