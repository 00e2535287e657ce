import { SQLiteError } from "bun:sqlite";

/**
 * True when `err` is SQLite's constraint failure of the given extended code, e.g.
 * `SQLITE_CONSTRAINT_UNIQUE`. With `column` ("sandboxes.name"), also checks that SQLite
 * named that column ("UNIQUE constraint failed: sandboxes.name"), so a table with two
 * unique columns can tell them apart.
 */
export function isConstraintError(err: unknown, code: string, column?: string): boolean {
  if (!(err instanceof SQLiteError) || err.code !== code) return false;
  return column === undefined || err.message.includes(column);
}
