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

/** Parsed JSON columns by their text, shared by every read that finds the same text. */
const parsed = new Map<string, unknown>();
/** Bound on the memo: a node's rows, many times over; past it the memo starts afresh. */
const MEMO_LIMIT = 8192;

function deepFreeze(v: unknown): void {
  if (typeof v !== "object" || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const child of Object.values(v)) deepFreeze(child);
}

/**
 * `decodeJson` for the columns that listings read over and over (a kubelet lists every
 * container every second): the value for a given text is parsed once and shared, frozen,
 * so it must never be changed (spread it into a new object instead). Looking the text up
 * costs a hash of it, a fraction of parsing it again.
 */
export function decodeJsonShared<T>(text: string, where: string): T {
  const hit = parsed.get(text);
  if (hit !== undefined) return hit as T;
  const value = decodeJson<T>(text, where);
  deepFreeze(value);
  if (parsed.size >= MEMO_LIMIT) parsed.clear();
  parsed.set(text, value);
  return value;
}

/**
 * `derive` kept per shared value: a value `decodeJsonShared` returned is computed from
 * once, and the result kept as long as that value lives. The result is shared as well,
 * so it must never be changed either.
 */
export function derivedOnce<V>(derive: (value: JsonObject) => V): (value: JsonObject) => V {
  const kept = new WeakMap<JsonObject, V>();
  return (value) => {
    let v = kept.get(value);
    if (v === undefined) kept.set(value, (v = derive(value)));
    return v;
  };
}
