import { afterEach, describe, expect, test } from "bun:test";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../../../src/errors.ts";
import { sandboxNameKey } from "../../../src/store/index.ts";
import { cleanup, fakeClock, sandbox, tempStore } from "./helpers.ts";

afterEach(cleanup);

describe("SandboxStore", () => {
  test("create stores every field, reserves the name key and starts in creating", () => {
    const store = tempStore({ clock: fakeClock() });
    const created = store.sandboxes.create(
      sandbox("s1", { runtimeHandler: "runc", netns: { network: "/run/skiff/netns/s1" }, ips: ["10.88.0.2"], info: { pid: 42 } }),
    );
    expect(created).toEqual({
      id: "s1",
      name: "pod-s1_default_uid-s1_0",
      state: "creating",
      metadata: { name: "pod-s1", namespace: "default", uid: "uid-s1", attempt: 0 },
      config: { metadata: { name: "pod-s1" }, labels: { app: "web" } },
      runtimeHandler: "runc",
      netns: { network: "/run/skiff/netns/s1" },
      ips: ["10.88.0.2"],
      createdAt: 1_700_000_000_123_457_789n,
      updatedAt: 1_700_000_000_123_457_789n,
      info: { pid: 42 },
    });
    expect(store.sandboxes.get("s1")).toEqual(created);
    expect(store.sandboxes.getByName(sandboxNameKey(created.metadata))).toEqual(created);
  });

  test("nanosecond timestamps beyond 2^53 come back exactly", () => {
    const store = tempStore();
    const createdAt = 1_712_345_678_901_234_567n;
    expect(store.sandboxes.create(sandbox("s1", { createdAt })).createdAt).toBe(createdAt);
    expect(store.sandboxes.get("s1").createdAt).toBe(createdAt);
  });

  test("a second sandbox with the same metadata fails with AlreadyExists naming the name and its holder", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    const dup = sandbox("s2", { metadata: sandbox("s1").metadata });
    expect(() => store.sandboxes.create(dup)).toThrow(AlreadyExistsError);
    expect(() => store.sandboxes.create(dup)).toThrow(
      'sandbox name "pod-s1_default_uid-s1_0" is reserved for sandbox "s1"',
    );
    expect(store.sandboxes.find("s2")).toBeUndefined();
  });

  test("the next attempt of the same pod gets its own name", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    const next = sandbox("s2", { metadata: { ...sandbox("s1").metadata, attempt: 1 } });
    expect(store.sandboxes.create(next).name).toBe("pod-s1_default_uid-s1_1");
  });

  test("a duplicate id fails with AlreadyExists naming the id", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    const dup = sandbox("s1", { metadata: { name: "other", namespace: "x", uid: "u", attempt: 0 } });
    expect(() => store.sandboxes.create(dup)).toThrow('sandbox "s1" already exists');
  });

  test("get and getByName throw NotFound; find and findByName return undefined", () => {
    const store = tempStore();
    expect(() => store.sandboxes.get("nope")).toThrow(new NotFoundError('sandbox "nope" not found'));
    expect(() => store.sandboxes.getByName("n")).toThrow(NotFoundError);
    expect(store.sandboxes.find("nope")).toBeUndefined();
    expect(store.sandboxes.findByName("n")).toBeUndefined();
  });

  test("list returns sandboxes oldest first and filters by state", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("b"));
    store.sandboxes.create(sandbox("a", { state: "ready" }));
    store.sandboxes.create(sandbox("c", { state: "notready" }));
    expect(store.sandboxes.list().map((s) => s.id)).toEqual(["b", "a", "c"]);
    expect(store.sandboxes.list({ state: "ready" }).map((s) => s.id)).toEqual(["a"]);
    expect(store.sandboxes.list({ state: ["ready", "notready"] }).map((s) => s.id)).toEqual(["a", "c"]);
    expect(store.sandboxes.list({ state: [] })).toEqual([]);
  });

  test("updateState changes the state, applies the patch and bumps updatedAt", () => {
    const store = tempStore({ clock: fakeClock() });
    const before = store.sandboxes.create(sandbox("s1"));
    const after = store.sandboxes.updateState("s1", "ready", { ips: ["10.88.0.5"], expect: ["creating"] });
    expect(after.state).toBe("ready");
    expect(after.ips).toEqual(["10.88.0.5"]);
    expect(after.config).toEqual(before.config);
    expect(after.updatedAt).toBeGreaterThan(before.updatedAt);
    expect(store.sandboxes.get("s1")).toEqual(after);
  });

  test("updateState with expect refuses a sandbox in another state and changes nothing", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1", { state: "notready" }));
    expect(() => store.sandboxes.updateState("s1", "ready", { expect: ["creating"] })).toThrow(
      new FailedPreconditionError('sandbox "s1" is "notready", want "creating"'),
    );
    expect(store.sandboxes.get("s1").state).toBe("notready");
  });

  test("updateState and update of a missing sandbox throw NotFound", () => {
    const store = tempStore();
    expect(() => store.sandboxes.updateState("nope", "ready")).toThrow(NotFoundError);
    expect(() => store.sandboxes.update("nope", { info: {} })).toThrow(NotFoundError);
  });

  test("update changes only the given fields", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1", { ips: ["10.0.0.1"] }));
    const after = store.sandboxes.update("s1", { info: { cni: { ok: true } } });
    expect(after.info).toEqual({ cni: { ok: true } });
    expect(after.ips).toEqual(["10.0.0.1"]);
    expect(after.state).toBe("creating");
  });

  test("a state outside the schema is rejected by the database", () => {
    const store = tempStore();
    expect(() => store.sandboxes.create(sandbox("s1", { state: "running" as never }))).toThrow("CHECK constraint failed");
  });

  test("a value that is not JSON is refused with the column named", () => {
    const store = tempStore();
    expect(() => store.sandboxes.create(sandbox("s1", { info: { big: 1n } as never }))).toThrow(
      "store: sandboxes.info is not serializable as JSON",
    );
  });

  test("delete removes the row and frees the name; deleting again returns false", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    expect(store.sandboxes.delete("s1")).toBe(true);
    expect(store.sandboxes.delete("s1")).toBe(false);
    expect(store.sandboxes.create(sandbox("s2", { metadata: sandbox("s1").metadata })).id).toBe("s2");
  });
});
