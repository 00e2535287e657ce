import type { Database } from "bun:sqlite";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";

/** Tables whose `id` column takes a prefix, like `crictl inspectp 3f2a` does. */
export type PrefixTable = "sandboxes" | "containers";

const KIND: Record<PrefixTable, string> = { sandboxes: "sandbox", containers: "container" };

/**
 * Resolves a full id from an id or a unique prefix of one.
 *
 * - An exact id always wins, even when it is also a prefix of a longer id.
 * - No match: `NotFoundError` (`sandbox "3f2a" not found`).
 * - More than one: `InvalidArgumentError` on `field`. Not FailedPrecondition, which
 *   tells a client to change the system's state and retry: here the same request can
 *   never succeed and the fix is a longer prefix from the caller. Not NotFound either,
 *   because the objects exist. The kubelet always sends full ids; prefixes come from
 *   people at crictl.
 * - Empty: `InvalidArgumentError`, since it would match everything.
 *
 * The lookup is a range on the primary key: every string s with p <= s < p + U+10FFFF
 * starts with p (byte order of UTF-8 is code point order), so it uses the index. An id
 * whose character after the prefix is U+10FFFF itself would be missed; ids are hex.
 */
export function resolveIdPrefix(
  db: Database,
  table: PrefixTable,
  prefix: string,
  field = "id",
): string {
  const kind = KIND[table];
  if (prefix === "") throw new InvalidArgumentError(field, `${kind} id must not be empty`);
  const exact = db.query<{ id: string }, [string]>(`SELECT id FROM ${table} WHERE id = ?1`).get(prefix);
  if (exact) return exact.id;
  const rows = db
    .query<{ id: string }, [string]>(
      `SELECT id FROM ${table} WHERE id > ?1 AND id < ?1 || char(1114111) ORDER BY id LIMIT 4`,
    )
    .all(prefix);
  const [first, ...rest] = rows;
  if (!first) throw new NotFoundError(`${kind} "${prefix}" not found`);
  if (rest.length === 0) return first.id;
  const shown = rows.slice(0, 3).map((r) => `"${r.id}"`).join(", ");
  throw new InvalidArgumentError(
    field,
    `${kind} id prefix "${prefix}" is ambiguous: it matches ${shown}${rows.length > 3 ? " and more" : ""}`,
  );
}
