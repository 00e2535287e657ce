import type { Database } from "bun:sqlite";
import { AlreadyExistsError, NotFoundError } from "../errors.ts";
import type { Clock } from "./clock.ts";
import { UntilChanged } from "./change-stamp.ts";
import { resolveIdPrefix } from "./id-prefix.ts";
import { decodeJson, decodeJsonShared, encodeJson, type JsonObject } from "./json.ts";
import { containerNameKey, type ContainerMetadata, type SandboxMetadata } from "./names.ts";
import { isConstraintError } from "./sqlite-error.ts";
import { updateRow } from "./update-row.ts";

export const CONTAINER_STATES = ["creating", "created", "running", "exited", "unknown"] as const;

/**
 * CRI's four states plus `creating`: the name is reserved and the row exists, but the
 * runtime has not created the container yet. CRI never reports it; a restart that finds
 * one finishes or undoes the CreateContainer.
 */
export type ContainerState = (typeof CONTAINER_STATES)[number];

/** A container as stored. Timestamps are ns since the epoch; 0 means "not yet", as in CRI. */
export type ContainerRecord = {
  readonly id: string;
  readonly sandboxId: string;
  /** The reserved name key, see {@link containerNameKey}. */
  readonly name: string;
  readonly state: ContainerState;
  readonly metadata: ContainerMetadata;
  /** The image as CRI reports it in ContainerStatus.image_ref (a repo digest). */
  readonly imageRef: string;
  /** The image's config digest (images.id). */
  readonly imageId: string;
  /** The ContainerConfig, as proto JSON. */
  readonly config: JsonObject;
  readonly createdAt: bigint;
  readonly startedAt: bigint;
  readonly finishedAt: bigint;
  readonly exitCode: number;
  readonly reason: string;
  readonly message: string;
  readonly logPath: string;
  readonly updatedAt: bigint;
  /** Everything else later code needs to keep (bundle path, conmon pid, rootfs...). */
  readonly info: JsonObject;
};

export type NewContainer = {
  readonly id: string;
  readonly sandboxId: string;
  readonly metadata: ContainerMetadata;
  readonly config: JsonObject;
  /** Defaults to `creating`. */
  readonly state?: ContainerState;
  readonly imageRef?: string;
  readonly imageId?: string;
  readonly logPath?: string;
  readonly info?: JsonObject;
  /** Defaults to the store's clock. */
  readonly createdAt?: bigint;
};

/** The fields that change after creation. */
export type ContainerPatch = {
  readonly config?: JsonObject;
  readonly imageRef?: string;
  readonly imageId?: string;
  readonly logPath?: string;
  readonly startedAt?: bigint;
  readonly finishedAt?: bigint;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly info?: JsonObject;
};

type ContainerRow = {
  id: string;
  sandbox_id: string;
  name: string;
  state: string;
  metadata: string;
  image_ref: string;
  image_id: string;
  config: string;
  created_at: bigint;
  started_at: bigint;
  finished_at: bigint;
  exit_code: bigint;
  reason: string;
  message: string;
  log_path: string;
  updated_at: bigint;
  info: string;
};

function toRecord(r: ContainerRow): ContainerRecord {
  const at = (col: string) => `containers.${col} of "${r.id}"`;
  return {
    id: r.id,
    sandboxId: r.sandbox_id,
    name: r.name,
    state: r.state as ContainerState, // CHECK constraint keeps it one of CONTAINER_STATES
    metadata: decodeJsonShared(r.metadata, at("metadata")),
    imageRef: r.image_ref,
    imageId: r.image_id,
    config: decodeJsonShared(r.config, at("config")),
    createdAt: BigInt(r.created_at),
    startedAt: BigInt(r.started_at),
    finishedAt: BigInt(r.finished_at),
    exitCode: Number(r.exit_code),
    reason: r.reason,
    message: r.message,
    logPath: r.log_path,
    updatedAt: BigInt(r.updated_at),
    info: decodeJsonShared(r.info, at("info")),
  };
}

function patchColumns(p: ContainerPatch): Record<string, string | bigint | number> {
  const sets: Record<string, string | bigint | number> = {};
  if (p.config !== undefined) sets.config = encodeJson(p.config, "containers.config");
  if (p.imageRef !== undefined) sets.image_ref = p.imageRef;
  if (p.imageId !== undefined) sets.image_id = p.imageId;
  if (p.logPath !== undefined) sets.log_path = p.logPath;
  if (p.startedAt !== undefined) sets.started_at = p.startedAt;
  if (p.finishedAt !== undefined) sets.finished_at = p.finishedAt;
  if (p.exitCode !== undefined) sets.exit_code = p.exitCode;
  if (p.reason !== undefined) sets.reason = p.reason;
  if (p.message !== undefined) sets.message = p.message;
  if (p.info !== undefined) sets.info = encodeJson(p.info, "containers.info");
  return sets;
}

/** Containers. Every method is one statement or one transaction. */
export class ContainerStore {
  /** Every container, as the last unfiltered `list()` read them. */
  readonly #all: UntilChanged<ContainerRecord>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.#all = new UntilChanged(db);
  }

  /**
   * Inserts a container into an existing sandbox; this reserves its name key, which is
   * built from the sandbox's metadata read in the same transaction.
   * @throws NotFoundError if the sandbox does not exist
   * @throws AlreadyExistsError if the id exists or the name key is reserved
   */
  create(c: NewContainer): ContainerRecord {
    return this.db
      .transaction(() => {
        const sandbox = this.db
          .query<{ metadata: string }, [string]>("SELECT metadata FROM sandboxes WHERE id = ?1")
          .get(c.sandboxId);
        if (!sandbox) throw new NotFoundError(`sandbox "${c.sandboxId}" not found`);
        const sandboxMeta = decodeJson<SandboxMetadata>(sandbox.metadata, `sandboxes.metadata of "${c.sandboxId}"`);
        const name = containerNameKey(c.metadata, sandboxMeta);
        try {
          const row = this.db
            .query<ContainerRow, Record<string, string | bigint>>(
              `INSERT INTO containers (id, sandbox_id, name, state, metadata, image_ref, image_id,
                 config, created_at, log_path, updated_at, info)
               VALUES ($id, $sandbox_id, $name, $state, $metadata, $image_ref, $image_id,
                 $config, $created_at, $log_path, $created_at, $info)
               RETURNING *`,
            )
            .safeIntegers(true)
            .get({
              id: c.id,
              sandbox_id: c.sandboxId,
              name,
              state: c.state ?? "creating",
              metadata: encodeJson(c.metadata, "containers.metadata"),
              image_ref: c.imageRef ?? "",
              image_id: c.imageId ?? "",
              config: encodeJson(c.config, "containers.config"),
              created_at: c.createdAt ?? this.clock(),
              log_path: c.logPath ?? "",
              info: encodeJson(c.info ?? {}, "containers.info"),
            });
          return toRecord(row!);
        } catch (err) {
          if (isConstraintError(err, "SQLITE_CONSTRAINT_PRIMARYKEY")) {
            throw new AlreadyExistsError(`container "${c.id}" already exists`, { cause: err });
          }
          if (isConstraintError(err, "SQLITE_CONSTRAINT_UNIQUE", "containers.name")) {
            const holder = this.findByName(name)?.id ?? "?";
            throw new AlreadyExistsError(
              `container name "${name}" is reserved for container "${holder}"`,
              { cause: err },
            );
          }
          throw err;
        }
      })
      .immediate();
  }

  /** The container with this full id, or undefined. */
  find(id: string): ContainerRecord | undefined {
    const row = this.db
      .query<ContainerRow, [string]>("SELECT * FROM containers WHERE id = ?1")
      .safeIntegers(true)
      .get(id);
    return row ? toRecord(row) : undefined;
  }

  /** @throws NotFoundError */
  get(id: string): ContainerRecord {
    const c = this.find(id);
    if (!c) throw new NotFoundError(`container "${id}" not found`);
    return c;
  }

  /** The container holding this name key, or undefined. */
  findByName(name: string): ContainerRecord | undefined {
    const row = this.db
      .query<ContainerRow, [string]>("SELECT * FROM containers WHERE name = ?1")
      .safeIntegers(true)
      .get(name);
    return row ? toRecord(row) : undefined;
  }

  /** @throws NotFoundError */
  getByName(name: string): ContainerRecord {
    const c = this.findByName(name);
    if (!c) throw new NotFoundError(`container with name "${name}" not found`);
    return c;
  }

  /** Containers, oldest first, optionally of one sandbox and/or in the given state(s). */
  list(
    filter: { sandboxId?: string; state?: ContainerState | readonly ContainerState[] } = {},
  ): ContainerRecord[] {
    const params: string[] = [];
    const where: string[] = [];
    if (filter.sandboxId !== undefined) {
      params.push(filter.sandboxId);
      where.push(`sandbox_id = ?${params.length}`);
    }
    if (filter.state !== undefined) {
      const states = ([] as string[]).concat(filter.state);
      if (states.length === 0) return [];
      const marks = states.map((s) => (params.push(s), `?${params.length}`));
      where.push(`state IN (${marks.join(", ")})`);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const read = () =>
      this.db
        .query<ContainerRow, string[]>(`SELECT * FROM containers ${clause} ORDER BY created_at, id`)
        .safeIntegers(true)
        .all(...params)
        .map(toRecord);
    return where.length === 0 ? this.#all.get(read) : read();
  }

  /**
   * The full id for an id or unique id prefix; see {@link resolveIdPrefix}.
   * @param field the request field, for the InvalidArgument message
   */
  resolveId(prefix: string, field = "container_id"): string {
    return resolveIdPrefix(this.db, "containers", prefix, field);
  }

  /**
   * Moves a container to `state`, applying `options` (e.g. `startedAt`, or `finishedAt`
   * + `exitCode` + `reason`) in the same statement.
   * @param options.expect the states the container may be in now; any other is a
   *   FailedPreconditionError, which makes this a compare-and-set
   * @throws NotFoundError
   */
  updateState(
    id: string,
    state: ContainerState,
    options: ContainerPatch & { expect?: readonly ContainerState[] } = {},
  ): ContainerRecord {
    const sets = { ...patchColumns(options), state, updated_at: this.clock() };
    return toRecord(updateRow<ContainerRow>(this.db, "containers", "container", id, sets, options.expect));
  }

  /** Changes fields other than the state. @throws NotFoundError */
  update(id: string, patch: ContainerPatch): ContainerRecord {
    const sets = { ...patchColumns(patch), updated_at: this.clock() };
    return toRecord(updateRow<ContainerRow>(this.db, "containers", "container", id, sets));
  }

  /** @returns false if there was no such container (Remove is idempotent in CRI) */
  delete(id: string): boolean {
    return this.db.query("DELETE FROM containers WHERE id = ?1").run(id).changes > 0;
  }
}
