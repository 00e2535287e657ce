import type { Database } from "bun:sqlite";

/**
 * A value that differs after any write to the database: `total_changes()` counts the rows
 * this connection has inserted, changed or deleted (a foreign-key cascade always comes
 * with a counted row of its own), and `data_version` moves when another connection
 * commits. Two equal stamps mean nobody wrote in between, so a result read before is
 * still the answer. Reading it costs one tiny statement.
 */
export function changeStamp(db: Database): string {
  const row = db
    .query<{ c: number; v: number }, []>("SELECT total_changes() AS c, (SELECT data_version FROM pragma_data_version) AS v")
    .get()!;
  return `${row.c}:${row.v}`;
}

/**
 * Holds one read result until the database changes: the unfiltered listings the kubelet
 * asks for every second, which on a quiet node find the same rows time after time. Each
 * caller gets its own copy of the array (the records in it are shared and read-only).
 * Reads inside a transaction are never kept: a rollback undoes rows without a new stamp.
 */
export class UntilChanged<T> {
  #stamp: string | undefined;
  #value: readonly T[] = [];

  constructor(private readonly db: Database) {}

  get(read: () => T[]): T[] {
    // Inside a transaction the rows read may yet be rolled back, which moves no stamp.
    if (this.db.inTransaction) return read();
    const stamp = changeStamp(this.db);
    if (stamp !== this.#stamp) {
      // Read first, stamp after: a failed read leaves the old stamp, never a wrong value.
      this.#value = read();
      this.#stamp = stamp;
    }
    return this.#value.slice();
  }
}
