import { afterEach, describe, expect, test } from "bun:test";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../../../src/errors.ts";
import { cleanup, container, fakeClock, sandbox, tempStore } from "./helpers.ts";

afterEach(cleanup);

describe("ContainerStore", () => {
  test("create stores every field with a name key built from the sandbox's metadata", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("s1"));
    const c = store.containers.create(
      container("c1", "s1", "web", { imageRef: "docker.io/library/busybox@sha256:ab", imageId: "sha256:cd", logPath: "web/0.log" }),
    );
    expect(c).toEqual({
      id: "c1",
      sandboxId: "s1",
      name: "web_pod-s1_default_uid-s1_0",
      state: "creating",
      metadata: { name: "web", attempt: 0 },
      imageRef: "docker.io/library/busybox@sha256:ab",
      imageId: "sha256:cd",
      config: { metadata: { name: "web" }, image: { image: "busybox:1.36" } },
      createdAt: c.createdAt,
      startedAt: 0n,
      finishedAt: 0n,
      exitCode: 0,
      reason: "",
      message: "",
      logPath: "web/0.log",
      updatedAt: c.createdAt,
      info: {},
    });
    expect(store.containers.get("c1")).toEqual(c);
    expect(store.containers.getByName(c.name)).toEqual(c);
  });

  test("a container in a missing sandbox fails with NotFound and is not stored", () => {
    const store = tempStore();
    expect(() => store.containers.create(container("c1", "nope"))).toThrow(new NotFoundError('sandbox "nope" not found'));
    expect(store.containers.list()).toEqual([]);
  });

  test("a second container with the same name and attempt in a sandbox fails with AlreadyExists naming the name", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1", "web"));
    expect(() => store.containers.create(container("c2", "s1", "web"))).toThrow(AlreadyExistsError);
    expect(() => store.containers.create(container("c2", "s1", "web"))).toThrow(
      'container name "web_pod-s1_default_uid-s1_0" is reserved for container "c1"',
    );
    expect(() => store.containers.create(container("c1", "s1", "other"))).toThrow('container "c1" already exists');
  });

  test("the same container name in another sandbox is fine", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.sandboxes.create(sandbox("s2"));
    store.containers.create(container("c1", "s1", "web"));
    expect(store.containers.create(container("c2", "s2", "web")).name).toBe("web_pod-s2_default_uid-s2_0");
  });

  test("list filters by sandbox and state, oldest first", () => {
    const store = tempStore({ clock: fakeClock() });
    store.sandboxes.create(sandbox("s1"));
    store.sandboxes.create(sandbox("s2"));
    store.containers.create(container("c3", "s1", "a", { state: "running" }));
    store.containers.create(container("c1", "s2", "b", { state: "running" }));
    store.containers.create(container("c2", "s1", "c", { state: "exited" }));
    const ids = (f: Parameters<typeof store.containers.list>[0]) => store.containers.list(f).map((c) => c.id);
    expect(ids({})).toEqual(["c3", "c1", "c2"]);
    expect(ids({ sandboxId: "s1" })).toEqual(["c3", "c2"]);
    expect(ids({ state: "running" })).toEqual(["c3", "c1"]);
    expect(ids({ sandboxId: "s1", state: ["running", "created"] })).toEqual(["c3"]);
    expect(ids({ state: [] })).toEqual([]);
  });

  test("updateState records start and exit with their details", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1", "web", { state: "created" }));
    const started = store.containers.updateState("c1", "running", { expect: ["created"], startedAt: 1_712_000_000_000_000_001n });
    expect(started.state).toBe("running");
    expect(started.startedAt).toBe(1_712_000_000_000_000_001n);
    const exited = store.containers.updateState("c1", "exited", {
      expect: ["running"],
      finishedAt: 1_712_000_000_500_000_000n,
      exitCode: 137,
      reason: "OOMKilled",
      message: "out of memory",
    });
    expect(exited).toMatchObject({ state: "exited", exitCode: 137, reason: "OOMKilled", message: "out of memory" });
    expect(store.containers.get("c1").startedAt).toBe(1_712_000_000_000_000_001n);
    expect(() => store.containers.updateState("c1", "running", { expect: ["created"] })).toThrow(
      new FailedPreconditionError('container "c1" is "exited", want "created"'),
    );
  });

  test("update changes only the given fields and a missing container is NotFound", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1"));
    expect(store.containers.update("c1", { info: { bundle: "/run/skiff/c1" } })).toMatchObject({
      state: "creating",
      info: { bundle: "/run/skiff/c1" },
    });
    expect(() => store.containers.update("nope", { reason: "x" })).toThrow(NotFoundError);
  });

  test("delete is idempotent", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1"));
    expect(store.containers.delete("c1")).toBe(true);
    expect(store.containers.delete("c1")).toBe(false);
  });
});

describe("removing a sandbox that has containers", () => {
  test("is refused with FailedPrecondition and deletes nothing", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1", "a"));
    store.containers.create(container("c2", "s1", "b"));
    expect(() => store.sandboxes.delete("s1")).toThrow(
      new FailedPreconditionError('sandbox "s1" still has 2 containers; remove them first'),
    );
    expect(store.sandboxes.find("s1")).toBeDefined();
    expect(store.containers.list({ sandboxId: "s1" })).toHaveLength(2);
  });

  test("is also refused by the foreign key when bypassing the store", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1"));
    expect(() => store.db.run("DELETE FROM sandboxes WHERE id = 's1'")).toThrow("FOREIGN KEY constraint failed");
  });

  test("works when its containers are deleted first, atomically in one transaction", () => {
    const store = tempStore();
    store.sandboxes.create(sandbox("s1"));
    store.containers.create(container("c1", "s1", "a"));
    store.containers.create(container("c2", "s1", "b"));
    store.transaction(() => {
      for (const c of store.containers.list({ sandboxId: "s1" })) store.containers.delete(c.id);
      store.sandboxes.delete("s1");
    });
    expect(store.sandboxes.list()).toEqual([]);
    expect(store.containers.list()).toEqual([]);
  });
});
