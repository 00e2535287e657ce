import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { changeStamp } from "../../../src/store/change-stamp.ts";
import { cleanup, container, fakeClock, sandbox, tempStore } from "./helpers.ts";

afterEach(cleanup);

describe("unfiltered lists kept until the database changes", () => {
  test("a second list with no write in between gives the same records, in a new array", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1"));
    const a = store.containers.list();
    const b = store.containers.list();
    expect(b).not.toBe(a);
    expect(b[0]).toBe(a[0]!);
    a.pop(); // a caller changing its array leaves the kept one alone
    expect(store.containers.list().map((c) => c.id)).toEqual(["c1"]);
    expect(store.sandboxes.list()[0]).toBe(store.sandboxes.list()[0]!);
  });

  test("every kind of write shows in the next list", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("s1"));
    expect(store.containers.list()).toEqual([]);
    store.containers.create(container("c1", "s1"));
    expect(store.containers.list().map((c) => c.state)).toEqual(["creating"]);
    store.containers.updateState("c1", "created");
    expect(store.containers.list().map((c) => c.state)).toEqual(["created"]);
    store.containers.update("c1", { logPath: "x/0.log" });
    expect(store.containers.list()[0]!.logPath).toBe("x/0.log");
    store.sandboxes.updateState("s1", "notready");
    expect(store.sandboxes.list().map((s) => s.state)).toEqual(["notready"]);
    store.containers.delete("c1");
    expect(store.containers.list()).toEqual([]);
  });

  test("a write by another connection to the same file shows too", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1"));
    expect(store.containers.list()).toHaveLength(1);
    const other = new Database(store.path);
    try {
      other.run("DELETE FROM containers WHERE id = 'c1'");
    } finally {
      other.close();
    }
    expect(store.containers.list()).toEqual([]);
  });

  test("rows read inside a transaction that rolls back are not kept", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("s1"));
    expect(store.containers.list()).toEqual([]);
    const before = changeStamp(store.db);
    expect(() =>
      store.transaction(() => {
        store.containers.create(container("c1", "s1"));
        expect(store.containers.list()).toHaveLength(1);
        throw new Error("undo");
      }),
    ).toThrow("undo");
    expect(changeStamp(store.db)).not.toBe(before);
    expect(store.containers.list()).toEqual([]);
  });

  test("filtered lists read the table each time", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1"));
    expect(store.containers.list({ state: "creating" })).toHaveLength(1);
    expect(store.containers.list({ sandboxId: "s1" })[0]).not.toBe(store.containers.list({ sandboxId: "s1" })[0]!);
  });
});
