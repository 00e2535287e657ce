import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { NotFoundError } from "../../../src/errors.ts";
import { openStore } from "../../../src/store/index.ts";
import { cleanup, fakeClock, open, tempDir, tempStore } from "./helpers.ts";

afterEach(cleanup);

describe("OperationLog", () => {
  test("begin, advance and finish an operation", () => {
    const { operations } = tempStore({ clock: fakeClock() });
    const op = operations.begin("sandbox-run", "s1", { data: { netns: null } });
    expect(op).toMatchObject({ kind: "sandbox-run", objectId: "s1", step: "started", data: { netns: null } });
    const moved = operations.advance(op.id, "netns-pinned", { netns: "/run/skiff/netns/s1" });
    expect(moved).toMatchObject({ id: op.id, step: "netns-pinned", data: { netns: "/run/skiff/netns/s1" } });
    expect(moved.startedAt).toBe(op.startedAt);
    expect(moved.updatedAt).toBeGreaterThan(op.updatedAt);
    // advancing without data keeps the data
    expect(operations.advance(op.id, "cni-added").data).toEqual({ netns: "/run/skiff/netns/s1" });
    expect(operations.finish(op.id)).toBe(true);
    expect(operations.finish(op.id)).toBe(false);
    expect(operations.find(op.id)).toBeUndefined();
    expect(() => operations.advance(op.id, "late")).toThrow(NotFoundError);
  });

  test("listUnfinished returns open operations in order, filtered by kind and object", () => {
    const { operations } = tempStore();
    const a = operations.begin("sandbox-run", "s1");
    const b = operations.begin("container-create", "c1");
    const c = operations.begin("sandbox-remove", "s1", { step: "stopping" });
    operations.finish(b.id);
    expect(operations.listUnfinished().map((o) => o.id)).toEqual([a.id, c.id]);
    expect(operations.listUnfinished({ kind: "sandbox-remove" }).map((o) => o.id)).toEqual([c.id]);
    expect(operations.listUnfinished({ objectId: "s1", kind: "sandbox-run" }).map((o) => o.id)).toEqual([a.id]);
  });

  test("unfinished operations survive a reopen and ids are never reused", () => {
    const path = join(tempDir(), "skiff.db");
    const first = openStore(path);
    const a = first.operations.begin("sandbox-run", "s1");
    const b = first.operations.begin("sandbox-run", "s2");
    first.operations.finish(b.id);
    first.close();
    const second = open(path);
    expect(second.operations.listUnfinished().map((o) => o.id)).toEqual([a.id]);
    expect(second.operations.begin("sandbox-run", "s3").id).toBeGreaterThan(b.id);
  });
});
