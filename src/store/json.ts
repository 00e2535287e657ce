/**
 * The one place where JSON columns are written and read. Every store class goes
 * through `encodeJson` / `decodeJson`, so a value that cannot be stored (a bigint, a
 * cycle) fails at write time with the column named, and a corrupt column fails at read
 * time with the row named, instead of as a bare `SyntaxError` somewhere later.
 */

/** A JSON value, the same shape as `@bufbuild/protobuf`'s `JsonValue`, so proto JSON fits. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Serializes a value for a JSON column. `where` names the column (`sandboxes.config`)
 * for the error message.
 */
export function encodeJson(value: unknown, where: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`store: ${where} is not serializable as JSON`, { cause: err });
  }
  // JSON.stringify returns undefined for undefined, functions and symbols.
  if (text === undefined) throw new TypeError(`store: ${where} is not serializable as JSON`);
  return text;
}

/**
 * Parses a JSON column. The schema has `CHECK (json_valid(...))` on every JSON column,
 * so a failure here means the file was changed behind skiff's back.
 */
export function decodeJson<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`store: ${where} holds invalid JSON`, { cause: err });
  }
}
