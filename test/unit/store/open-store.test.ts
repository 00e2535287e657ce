import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { FailedPreconditionError } from "../../../src/errors.ts";
import { openStore, SCHEMA_VERSION, schemaVersionOf } from "../../../src/store/index.ts";
import { cleanup, open, sandbox, tempDir, tempStore } from "./helpers.ts";

afterEach(cleanup);

const TABLES = [
  "blobs",
  "containers",
  "image_blobs",
  "image_refs",
  "images",
  "operations",
  "runtime_state",
  "sandboxes",
  "snapshots",
];

describe("openStore", () => {
  test("a new database is migrated to the current schema version", () => {
    const store = tempStore();
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(schemaVersionOf(store.db)).toBe(SCHEMA_VERSION);
    const tables = store.db
      .query<{ name: string }, []>(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all()
      .map((r) => r.name);
    expect(tables).toEqual(TABLES);
  });

  test("the connection runs in WAL mode with NORMAL sync, foreign keys and a busy timeout", () => {
    const store = tempStore();
    const get = (p: string) => Object.values(store.db.query(`PRAGMA ${p}`).get() as object)[0];
    expect(get("journal_mode")).toBe("wal");
    expect(get("synchronous")).toBe(1); // NORMAL
    expect(get("foreign_keys")).toBe(1);
    expect(get("busy_timeout")).toBe(5000);
  });

  test("synchronous FULL can be asked for", () => {
    const store = tempStore({ synchronous: "FULL" });
    expect(store.db.query("PRAGMA synchronous").get()).toEqual({ synchronous: 2 });
  });

  test("the parent directory is created 0700 and the database, WAL and shm files 0600", () => {
    const path = join(tempDir(), "a", "b", "skiff.db");
    const store = open(path);
    store.runtimeState.set("k", "v"); // makes SQLite write the WAL
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  test("reopening keeps the data and runs no migration again", () => {
    const path = join(tempDir(), "skiff.db");
    const first = openStore(path);
    first.sandboxes.create(sandbox("aaa"));
    first.runtimeState.set("pod_cidr", "10.88.0.0/16");
    first.close();

    const second = open(path);
    expect(second.schemaVersion).toBe(SCHEMA_VERSION);
    expect(second.sandboxes.get("aaa").metadata.name).toBe("pod-aaa");
    expect(second.runtimeState.get("pod_cidr")).toBe("10.88.0.0/16");
  });

  test("a database from a newer skiff is refused and left as it was", () => {
    const path = join(tempDir(), "skiff.db");
    openStore(path).close();
    const raw = new Database(path);
    raw.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(path);

    let err: unknown;
    try {
      openStore(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe(
      `store schema version ${SCHEMA_VERSION + 1} is newer than this skiff supports (${SCHEMA_VERSION})`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("close can be called twice, and the store is unusable after it", () => {
    const store = openStore(join(tempDir(), "skiff.db"));
    store.close();
    expect(() => store.close()).not.toThrow();
    expect(() => store.sandboxes.list()).toThrow();
  });

  test(":memory: opens a private in-memory store", () => {
    const store = open(":memory:");
    store.sandboxes.create(sandbox("m1"));
    expect(store.sandboxes.list().map((s) => s.id)).toEqual(["m1"]);
  });
});

describe("store.transaction", () => {
  test("a throw rolls back every write made inside it", () => {
    const store = tempStore();
    expect(() =>
      store.transaction(() => {
        store.sandboxes.create(sandbox("s1"));
        store.containers.create({ id: "c1", sandboxId: "s1", metadata: { name: "c", attempt: 0 }, config: {} });
        store.runtimeState.set("counter", "1");
        store.operations.begin("sandbox-run", "s1");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.sandboxes.list()).toEqual([]);
    expect(store.containers.list()).toEqual([]);
    expect(store.runtimeState.get("counter")).toBeUndefined();
    expect(store.operations.listUnfinished()).toEqual([]);
  });

  test("the value fn returns is returned and its writes are committed", () => {
    const store = tempStore();
    const id = store.transaction(() => store.sandboxes.create(sandbox("s1")).id);
    expect(id).toBe("s1");
    expect(store.db.inTransaction).toBe(false);
    expect(store.sandboxes.find("s1")).toBeDefined();
  });

  test("a failed store method inside a transaction rolls back only itself when caught", () => {
    const store = tempStore();
    store.transaction(() => {
      store.sandboxes.create(sandbox("s1"));
      // container in a missing sandbox: fails inside its own savepoint
      expect(() => store.containers.create({ id: "c1", sandboxId: "nope", metadata: { name: "c", attempt: 0 }, config: {} })).toThrow();
      store.sandboxes.create(sandbox("s2"));
    });
    expect(store.sandboxes.list().map((s) => s.id)).toEqual(["s1", "s2"]);
  });

  test("an async fn is refused and its synchronous writes are rolled back", () => {
    const store = tempStore();
    expect(() =>
      store.transaction(async () => {
        store.sandboxes.create(sandbox("s1"));
      }),
    ).toThrow(TypeError);
    expect(store.sandboxes.list()).toEqual([]);
  });
});
