import type { Database } from "bun:sqlite";
import { FailedPreconditionError, NotFoundError } from "../errors.ts";

/** A value for one column. */
export type ColumnValue = string | number | bigint | boolean | null;

/**
 * `UPDATE <table> SET ... WHERE id = ? [AND state IN (...)] RETURNING *` in one
 * statement, so a state check and the write cannot be split by another writer.
 *
 * @param sets column → value, already encoded; column names come from the store
 *   classes, never from callers
 * @param expect when given, the row must be in one of these states, else
 *   `FailedPreconditionError` (`container "3f2a" is "exited", want "created"`)
 * @returns the updated row; `NotFoundError` if there is no row with that id
 */
export function updateRow<Row>(
  db: Database,
  table: string,
  kind: string,
  id: string,
  sets: Record<string, ColumnValue>,
  expect?: readonly string[],
): Row {
  const columns = Object.keys(sets);
  const params: Record<string, ColumnValue> = { id };
  columns.forEach((c) => (params[`v_${c}`] = sets[c] ?? null));
  let where = "id = $id";
  if (expect !== undefined) {
    if (expect.length === 0) throw new TypeError("updateRow: expect must name at least one state");
    expect.forEach((s, i) => (params[`s_${i}`] = s));
    where += ` AND state IN (${expect.map((_, i) => `$s_${i}`).join(", ")})`;
  }
  const assignments = columns.map((c) => `${c} = $v_${c}`).join(", ");
  const row = db
    .query<Row, Record<string, ColumnValue>>(
      `UPDATE ${table} SET ${assignments} WHERE ${where} RETURNING *`,
    )
    .safeIntegers(true)
    .get(params);
  if (row) return row;

  const current = db
    .query<{ state: string }, [string]>(`SELECT state FROM ${table} WHERE id = ?1`)
    .get(id);
  if (!current) throw new NotFoundError(`${kind} "${id}" not found`);
  const want = (expect ?? []).map((s) => `"${s}"`).join(" or ");
  throw new FailedPreconditionError(`${kind} "${id}" is "${current.state}", want ${want}`);
}
