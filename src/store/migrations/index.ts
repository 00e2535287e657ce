import type { Database } from "bun:sqlite";
import { FailedPreconditionError } from "../../errors.ts";
import { initialSchema } from "./0001-initial.ts";
import type { Migration } from "./migration.ts";

export type { Migration } from "./migration.ts";

/** Every migration, in order. Append only: a released migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [initialSchema];

/** The schema version this build of skiff writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The version recorded in the database header; 0 for a new database. */
export function schemaVersionOf(db: Database): number {
  const row = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
  return row?.user_version ?? 0;
}

/** Throws unless versions are 1, 2, 3... in order, so a bad merge fails every test. */
function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `store migrations out of order: entry ${i} has version ${m.version}, want ${i + 1}`,
      );
    }
  });
}

function refuseNewer(found: number, supported: number): void {
  if (found > supported) {
    throw new FailedPreconditionError(
      `store schema version ${found} is newer than this skiff supports (${supported})`,
    );
  }
}

/**
 * Brings `db` up to the last of `migrations`, one immediate transaction per migration,
 * so a crash between two leaves a database at a known version that the next start
 * continues from. Safe to run on every open and from two processes at once: the version
 * is read again under the write lock before each step.
 *
 * Throws `FailedPreconditionError` for a database written by a newer skiff: reading it
 * with an older schema could drop what the newer one stored.
 *
 * @returns the versions before and after
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  checkOrder(migrations);
  const latest = migrations.length;
  const from = schemaVersionOf(db);
  refuseNewer(from, latest);

  for (const m of migrations) {
    if (m.version <= from) continue;
    if (m.foreignKeysOff) db.run("PRAGMA foreign_keys = OFF");
    try {
      db.transaction(() => {
        const current = schemaVersionOf(db);
        refuseNewer(current, latest);
        if (current >= m.version) return; // another process got here first
        if (typeof m.up === "string") db.run(m.up);
        else m.up(db);
        if (m.foreignKeysOff) {
          const broken = db.query("PRAGMA foreign_key_check").all();
          if (broken.length > 0) {
            throw new Error(`${broken.length} rows violate foreign keys: ${JSON.stringify(broken.slice(0, 5))}`);
          }
        }
        // PRAGMA takes no bound parameters; the version is an integer we checked above.
        db.run(`PRAGMA user_version = ${m.version}`);
      }).immediate();
    } catch (err) {
      if (err instanceof FailedPreconditionError) throw err;
      throw new Error(`apply store migration ${m.version} (${m.description})`, { cause: err });
    } finally {
      if (m.foreignKeysOff) db.run("PRAGMA foreign_keys = ON");
    }
  }
  return { from, to: schemaVersionOf(db) };
}
