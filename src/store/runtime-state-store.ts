import type { Database } from "bun:sqlite";

/**
 * Runtime-wide key/value settings that must survive a restart, such as the pod CIDR
 * that UpdateRuntimeConfig sets. Values are strings; callers that need structure
 * encode it themselves.
 */
export class RuntimeStateStore {
  constructor(private readonly db: Database) {}

  get(key: string): string | undefined {
    return this.db
      .query<{ value: string }, [string]>("SELECT value FROM runtime_state WHERE key = ?1")
      .get(key)?.value;
  }

  /** Inserts or replaces. */
  set(key: string, value: string): void {
    this.db
      .query(
        `INSERT INTO runtime_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      )
      .run(key, value);
  }

  /** @returns false if the key was not set */
  delete(key: string): boolean {
    return this.db.query("DELETE FROM runtime_state WHERE key = ?1").run(key).changes > 0;
  }

  /** Every key and value, sorted by key. */
  entries(): [string, string][] {
    return this.db
      .query<{ key: string; value: string }, []>("SELECT key, value FROM runtime_state ORDER BY key")
      .all()
      .map((r) => [r.key, r.value]);
  }
}
