import type { Database } from "bun:sqlite";

/**
 * One step of the schema. Versions start at 1 and have no gaps; the version a database
 * is at lives in `PRAGMA user_version` (0 for a new file), which is part of the database
 * header and so commits or rolls back with the migration's own transaction.
 */
export type Migration = {
  readonly version: number;
  /** Lowercase, for error messages: `apply store migration 2 (add images.labels)`. */
  readonly description: string;
  /** SQL (several statements allowed) or a function; runs inside the migration's transaction. */
  readonly up: string | ((db: Database) => void);
  /**
   * Set for a migration that rebuilds a table (create new, copy, drop old, rename), the
   * procedure in https://www.sqlite.org/lang_altertable.html#otheralter: dropping a
   * parent table with foreign keys on would run its ON DELETE actions. The runner then
   * turns foreign keys off around the transaction (the pragma is a no-op inside one) and
   * runs `PRAGMA foreign_key_check` before committing.
   */
  readonly foreignKeysOff?: boolean;
};
