import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store, type StoreOptions } from "../../../src/store/index.ts";
import type { NewContainer } from "../../../src/store/container-store.ts";
import type { NewSandbox } from "../../../src/store/sandbox-store.ts";

const cleanups: (() => void)[] = [];

/**
 * Closes the stores and removes the directories made since the last call. Each test
 * file registers it with `afterEach(cleanup)`: a hook registered here, at import time,
 * would only attach to the first test file that imports this module in a run.
 */
export function cleanup(): void {
  for (const fn of cleanups.splice(0).reverse()) fn();
}

/** A fresh directory under the OS temp dir, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "skiff-store-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a store at `path` and closes it after the test. */
export function open(path: string, options?: StoreOptions): Store {
  const store = openStore(path, options);
  cleanups.push(() => store.close());
  return store;
}

/** A store in a new temp dir, at `<dir>/state/skiff.db`. */
export function tempStore(options?: StoreOptions): Store {
  return open(join(tempDir(), "state", "skiff.db"), options);
}

/** A clock that ticks 1 µs per call from a time beyond 2^53 ns, to catch lost precision. */
export function fakeClock(start = 1_700_000_000_123_456_789n): () => bigint {
  let t = start;
  return () => (t += 1000n);
}

/** A sandbox whose metadata name and uid derive from `id`. */
export function sandbox(id: string, over: Partial<NewSandbox> = {}): NewSandbox {
  return {
    id,
    metadata: { name: `pod-${id}`, namespace: "default", uid: `uid-${id}`, attempt: 0 },
    config: { metadata: { name: `pod-${id}` }, labels: { app: "web" } },
    ...over,
  };
}

/** A container named `name` in sandbox `sandboxId`. */
export function container(
  id: string,
  sandboxId: string,
  name = `c-${id}`,
  over: Partial<NewContainer> = {},
): NewContainer {
  return {
    id,
    sandboxId,
    metadata: { name, attempt: 0 },
    config: { metadata: { name }, image: { image: "busybox:1.36" } },
    ...over,
  };
}
