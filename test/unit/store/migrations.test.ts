import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { migrate, MIGRATIONS, openStore, schemaVersionOf, type Migration } from "../../../src/store/index.ts";
import { cleanup, open, tempDir } from "./helpers.ts";

afterEach(cleanup);

function memoryDb(): Database {
  const db = new Database(":memory:", { strict: true });
  db.run("PRAGMA foreign_keys = ON");
  return db;
}

const tableNames = (db: Database) =>
  db
    .query<{ name: string }, []>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);

describe("migrate", () => {
  test("an empty database goes from version 0 to the last migration", () => {
    const db = memoryDb();
    expect(migrate(db)).toEqual({ from: 0, to: MIGRATIONS.length });
    expect(migrate(db)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
  });

  test("a migration that fails leaves the database at the version before it, with no partial DDL", () => {
    const db = memoryDb();
    const migrations: Migration[] = [
      { version: 1, description: "one", up: "CREATE TABLE one (x INTEGER)" },
      { version: 2, description: "two", up: "CREATE TABLE two (x INTEGER); CREATE TABLE broken (" },
    ];
    expect(() => migrate(db, migrations)).toThrow("apply store migration 2 (two)");
    expect(schemaVersionOf(db)).toBe(1);
    expect(tableNames(db)).toEqual(["one"]);
  });

  test("a function migration that throws is rolled back too", () => {
    const db = memoryDb();
    const migrations: Migration[] = [
      {
        version: 1,
        description: "fn",
        up: (d) => {
          d.run("CREATE TABLE half (x INTEGER)");
          throw new Error("midway");
        },
      },
    ];
    let err: unknown;
    try {
      migrate(db, migrations);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe("apply store migration 1 (fn)");
    expect(((err as Error).cause as Error).message).toBe("midway");
    expect(schemaVersionOf(db)).toBe(0);
    expect(tableNames(db)).toEqual([]);
  });

  test("migrations run once: reopening a store does not apply them again", () => {
    const path = join(tempDir(), "skiff.db");
    let runs = 0;
    const migrations: Migration[] = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, description: "count", up: () => void runs++ },
    ];
    openStore(path, { migrations }).close();
    openStore(path, { migrations }).close();
    expect(runs).toBe(1);
    expect(open(path, { migrations }).schemaVersion).toBe(MIGRATIONS.length + 1);
  });

  const badOrders: { desc: string; versions: number[] }[] = [
    { desc: "a list that does not start at 1 is refused", versions: [2] },
    { desc: "a list with a gap is refused", versions: [1, 3] },
    { desc: "a list out of order is refused", versions: [2, 1] },
  ];
  for (const tc of badOrders) {
    test(tc.desc, () => {
      const migrations = tc.versions.map((version) => ({ version, description: "x", up: "" }));
      expect(() => migrate(memoryDb(), migrations)).toThrow("store migrations out of order");
    });
  }

  test("a table rebuild with foreignKeysOff keeps child rows and the foreign keys on afterwards", () => {
    const db = memoryDb();
    const base: Migration[] = [
      {
        version: 1,
        description: "parent and child",
        up: `CREATE TABLE p (id TEXT PRIMARY KEY);
             CREATE TABLE c (id TEXT PRIMARY KEY, p_id TEXT REFERENCES p (id) ON DELETE CASCADE);
             INSERT INTO p VALUES ('a'); INSERT INTO c VALUES ('x', 'a');`,
      },
    ];
    migrate(db, base);
    const rebuild: Migration = {
      version: 2,
      description: "rebuild p",
      foreignKeysOff: true,
      up: `CREATE TABLE p_new (id TEXT PRIMARY KEY, extra TEXT NOT NULL DEFAULT '');
           INSERT INTO p_new (id) SELECT id FROM p;
           DROP TABLE p;
           ALTER TABLE p_new RENAME TO p;`,
    };
    migrate(db, [...base, rebuild]);
    expect(db.query("SELECT * FROM c").all()).toEqual([{ id: "x", p_id: "a" }]);
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
  });

  test("a foreignKeysOff migration that breaks a foreign key is rolled back", () => {
    const db = memoryDb();
    const base: Migration[] = [
      {
        version: 1,
        description: "parent and child",
        up: `CREATE TABLE p (id TEXT PRIMARY KEY);
             CREATE TABLE c (id TEXT PRIMARY KEY, p_id TEXT REFERENCES p (id));
             INSERT INTO p VALUES ('a'); INSERT INTO c VALUES ('x', 'a');`,
      },
    ];
    migrate(db, base);
    const lossy: Migration = { version: 2, description: "lossy", foreignKeysOff: true, up: "DELETE FROM p" };
    expect(() => migrate(db, [...base, lossy])).toThrow("apply store migration 2 (lossy)");
    expect(schemaVersionOf(db)).toBe(1);
    expect(db.query("SELECT id FROM p").all()).toEqual([{ id: "a" }]);
  });
});
