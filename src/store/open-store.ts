import { Database } from "bun:sqlite";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { systemClock, type Clock } from "./clock.ts";
import { ContainerStore } from "./container-store.ts";
import { migrate, MIGRATIONS, type Migration } from "./migrations/index.ts";
import { OperationLog } from "./operation-log.ts";
import { RuntimeStateStore } from "./runtime-state-store.ts";
import { SandboxStore } from "./sandbox-store.ts";
import { ImageStore } from "./image-store.ts";

/** The open state database and its typed views. */
export type Store = {
  /** The connection, for code (images, snapshots) that has no class here yet. */
  readonly db: Database;
  readonly path: string;
  /** The schema version after migrations ran. */
  readonly schemaVersion: number;
  readonly runtimeState: RuntimeStateStore;
  readonly sandboxes: SandboxStore;
  readonly images: ImageStore;
  readonly containers: ContainerStore;
  readonly operations: OperationLog;
  /**
   * Runs `fn` in one `BEGIN IMMEDIATE` transaction: it commits when `fn` returns and
   * rolls back when it throws. IMMEDIATE takes the write lock at the start, so a
   * read-then-write inside cannot fail halfway with SQLITE_BUSY. Nested calls (and the
   * store methods that use transactions themselves) become savepoints.
   *
   * `fn` must be synchronous: the commit happens when it returns, so anything after an
   * `await` would run outside the transaction. A promise returned from `fn` is refused
   * (rolled back, TypeError). Do the slow I/O first and pass its results in.
   */
  transaction<T>(fn: () => T): T;
  /** Closes the connection. Safe to call more than once. */
  close(): void;
};

export type StoreOptions = {
  /** How long a statement waits for another connection's lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * Default "NORMAL". In WAL mode, NORMAL writes each commit to the WAL file without
   * fsync; the data is in the OS page cache, so a `kill -9` of skiff (or any crash of
   * the process) loses no committed transaction, which is what DESIGN.md rule 4 asks.
   * What NORMAL gives up is the last few commits on power loss or a kernel crash; the
   * database still opens consistent, because checkpoints are fsynced. After power loss
   * every container on the node is gone anyway and the kubelet recreates the pods, so
   * paying an fsync per CRI write (several per pod start, slow on the SD cards of edge
   * nodes) is not worth it by default. "FULL" is there for operators who disagree.
   * See https://www.sqlite.org/pragma.html#pragma_synchronous and
   * https://www.sqlite.org/wal.html#performance_considerations.
   */
  synchronous?: "NORMAL" | "FULL";
  /** Source of timestamps; tests pass a fixed one. */
  clock?: Clock;
  /** The migrations to apply; tests pass their own list. */
  migrations?: readonly Migration[];
};

const IN_MEMORY = ":memory:";

/**
 * Creates the file with mode 0600 before SQLite does, because container configs carry
 * env values that the kubelet takes from Secrets. SQLite gives the -wal and -shm files
 * the mode of the database file. An existing file keeps its mode.
 */
function prepareFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
}

function pragma<T>(db: Database, sql: string): T | undefined {
  const row = db.query<Record<string, T>, []>(`PRAGMA ${sql}`).get();
  return row ? Object.values(row)[0] : undefined;
}

function configure(db: Database, path: string, options: StoreOptions): void {
  // First, so that switching the journal mode also waits for other connections.
  db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
  const mode = String(pragma<string>(db, "journal_mode = WAL")).toLowerCase();
  if (mode !== "wal" && !(path === IN_MEMORY && mode === "memory")) {
    // The durability argument above holds for WAL only; some network filesystems
    // cannot do it (no shared memory), and it is better to say so than run without.
    throw new Error(`store "${path}": journal_mode is "${mode}", want "wal"`);
  }
  db.run(`PRAGMA synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
  db.run("PRAGMA foreign_keys = ON");
  if (pragma<number>(db, "foreign_keys") !== 1) {
    throw new Error(`store "${path}": this SQLite build cannot enforce foreign keys`);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

/**
 * Opens (creating if needed) the state database at `path` and migrates it to the
 * schema this skiff knows. `":memory:"` opens a private in-memory database.
 *
 * @throws FailedPreconditionError if the file was written by a newer skiff
 */
export function openStore(path: string, options: StoreOptions = {}): Store {
  if (path !== IN_MEMORY) prepareFile(path);
  const db = new Database(path, { create: true, readwrite: true, strict: true });
  let schemaVersion: number;
  try {
    configure(db, path, options);
    schemaVersion = migrate(db, options.migrations ?? MIGRATIONS).to;
  } catch (err) {
    db.close(false);
    throw err;
  }

  const clock = options.clock ?? systemClock;
  let closed = false;
  return {
    db,
    path,
    schemaVersion,
    runtimeState: new RuntimeStateStore(db),
    sandboxes: new SandboxStore(db, clock),
    images: new ImageStore(db, clock),
    containers: new ContainerStore(db, clock),
    operations: new OperationLog(db, clock),
    transaction<T>(fn: () => T): T {
      return db
        .transaction(() => {
          const result = fn();
          if (isThenable(result)) {
            // Keep an unhandled rejection from surfacing later; the caller gets the TypeError.
            Promise.resolve(result).catch(() => {});
            throw new TypeError("store.transaction: fn returned a promise; it must be synchronous");
          }
          return result;
        })
        .immediate();
    },
    close(): void {
      if (closed) return;
      closed = true;
      // throwOnError: finalize every statement and really release the file now, so a
      // reopen in the same process (tests, a restart of the server) starts clean.
      db.close(true);
    },
  };
}
