import type { Database } from "bun:sqlite";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { Clock } from "./clock.ts";
import { UntilChanged } from "./change-stamp.ts";
import { resolveIdPrefix } from "./id-prefix.ts";
import { decodeJson, decodeJsonShared, encodeJson, type JsonObject } from "./json.ts";
import { sandboxNameKey, type SandboxMetadata } from "./names.ts";
import { isConstraintError } from "./sqlite-error.ts";
import { updateRow } from "./update-row.ts";

export const SANDBOX_STATES = ["creating", "ready", "notready", "removing"] as const;

/**
 * `creating` from the moment the name is reserved until the sandbox runs; `ready` and
 * `notready` are CRI's two states; `removing` marks a RemovePodSandbox in progress, so a
 * restart finishes it instead of reporting a half-removed pod.
 */
export type SandboxState = (typeof SANDBOX_STATES)[number];

/** A pod sandbox as stored. */
export type SandboxRecord = {
  readonly id: string;
  /** The reserved name key, see {@link sandboxNameKey}. */
  readonly name: string;
  readonly state: SandboxState;
  readonly metadata: SandboxMetadata;
  /** The PodSandboxConfig, as proto JSON. */
  readonly config: JsonObject;
  readonly runtimeHandler: string;
  /** Pinned namespace paths by kind, e.g. `{ network: "/run/skiff/netns/3f2a" }`. */
  readonly netns: Record<string, string>;
  /** Pod IPs, the primary first. */
  readonly ips: string[];
  readonly createdAt: bigint;
  readonly updatedAt: bigint;
  /** Everything else later code needs to keep (CNI result, pause pid...). */
  readonly info: JsonObject;
};

export type NewSandbox = {
  readonly id: string;
  readonly metadata: SandboxMetadata;
  readonly config: JsonObject;
  /** Defaults to `creating`. */
  readonly state?: SandboxState;
  readonly runtimeHandler?: string;
  readonly netns?: Record<string, string>;
  readonly ips?: string[];
  readonly info?: JsonObject;
  /** Defaults to the store's clock. */
  readonly createdAt?: bigint;
};

/** The fields that change after creation. */
export type SandboxPatch = {
  readonly config?: JsonObject;
  readonly netns?: Record<string, string>;
  readonly ips?: string[];
  readonly info?: JsonObject;
};

type SandboxRow = {
  id: string;
  name: string;
  state: string;
  metadata: string;
  config: string;
  runtime_handler: string;
  netns: string;
  ips: string;
  created_at: bigint;
  updated_at: bigint;
  info: string;
};

function toRecord(r: SandboxRow): SandboxRecord {
  const at = (col: string) => `sandboxes.${col} of "${r.id}"`;
  return {
    id: r.id,
    name: r.name,
    state: r.state as SandboxState, // CHECK constraint keeps it one of SANDBOX_STATES
    metadata: decodeJsonShared(r.metadata, at("metadata")),
    config: decodeJsonShared(r.config, at("config")),
    runtimeHandler: r.runtime_handler,
    netns: decodeJsonShared(r.netns, at("netns")),
    ips: decodeJsonShared(r.ips, at("ips")),
    createdAt: BigInt(r.created_at),
    updatedAt: BigInt(r.updated_at),
    info: decodeJsonShared(r.info, at("info")),
  };
}

function patchColumns(p: SandboxPatch): Record<string, string> {
  const sets: Record<string, string> = {};
  if (p.config !== undefined) sets.config = encodeJson(p.config, "sandboxes.config");
  if (p.netns !== undefined) sets.netns = encodeJson(p.netns, "sandboxes.netns");
  if (p.ips !== undefined) sets.ips = encodeJson(p.ips, "sandboxes.ips");
  if (p.info !== undefined) sets.info = encodeJson(p.info, "sandboxes.info");
  return sets;
}

/** Pod sandboxes. Every method is one statement or one transaction. */
export class SandboxStore {
  /** Every sandbox, as the last unfiltered `list()` read them. */
  readonly #all: UntilChanged<SandboxRecord>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.#all = new UntilChanged(db);
  }

  /**
   * Inserts a sandbox; this reserves its name key.
   * @throws AlreadyExistsError if the id exists or the name key is reserved (the
   *   message names both the name and the sandbox holding it)
   */
  create(s: NewSandbox): SandboxRecord {
    const name = sandboxNameKey(s.metadata);
    const now = s.createdAt ?? this.clock();
    try {
      const row = this.db
        .query<SandboxRow, Record<string, string | bigint>>(
          `INSERT INTO sandboxes (id, name, state, metadata, config, runtime_handler, netns, ips,
             created_at, updated_at, info)
           VALUES ($id, $name, $state, $metadata, $config, $runtime_handler, $netns, $ips,
             $created_at, $created_at, $info)
           RETURNING *`,
        )
        .safeIntegers(true)
        .get({
          id: s.id,
          name,
          state: s.state ?? "creating",
          metadata: encodeJson(s.metadata, "sandboxes.metadata"),
          config: encodeJson(s.config, "sandboxes.config"),
          runtime_handler: s.runtimeHandler ?? "",
          netns: encodeJson(s.netns ?? {}, "sandboxes.netns"),
          ips: encodeJson(s.ips ?? [], "sandboxes.ips"),
          created_at: now,
          info: encodeJson(s.info ?? {}, "sandboxes.info"),
        });
      return toRecord(row!);
    } catch (err) {
      if (isConstraintError(err, "SQLITE_CONSTRAINT_PRIMARYKEY")) {
        throw new AlreadyExistsError(`sandbox "${s.id}" already exists`, { cause: err });
      }
      if (isConstraintError(err, "SQLITE_CONSTRAINT_UNIQUE", "sandboxes.name")) {
        const holder = this.findByName(name)?.id ?? "?";
        throw new AlreadyExistsError(
          `sandbox name "${name}" is reserved for sandbox "${holder}"`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** The sandbox with this full id, or undefined. */
  find(id: string): SandboxRecord | undefined {
    const row = this.db
      .query<SandboxRow, [string]>("SELECT * FROM sandboxes WHERE id = ?1")
      .safeIntegers(true)
      .get(id);
    return row ? toRecord(row) : undefined;
  }

  /** @throws NotFoundError */
  get(id: string): SandboxRecord {
    const s = this.find(id);
    if (!s) throw new NotFoundError(`sandbox "${id}" not found`);
    return s;
  }

  /** The sandbox holding this name key, or undefined. */
  findByName(name: string): SandboxRecord | undefined {
    const row = this.db
      .query<SandboxRow, [string]>("SELECT * FROM sandboxes WHERE name = ?1")
      .safeIntegers(true)
      .get(name);
    return row ? toRecord(row) : undefined;
  }

  /** @throws NotFoundError */
  getByName(name: string): SandboxRecord {
    const s = this.findByName(name);
    if (!s) throw new NotFoundError(`sandbox with name "${name}" not found`);
    return s;
  }

  /** All sandboxes, oldest first, optionally only those in the given state(s). */
  list(filter: { state?: SandboxState | readonly SandboxState[] } = {}): SandboxRecord[] {
    const states = filter.state === undefined ? undefined : ([] as string[]).concat(filter.state);
    if (states?.length === 0) return [];
    const where = states ? `WHERE state IN (${states.map((_, i) => `?${i + 1}`).join(", ")})` : "";
    const read = () =>
      this.db
        .query<SandboxRow, string[]>(`SELECT * FROM sandboxes ${where} ORDER BY created_at, id`)
        .safeIntegers(true)
        .all(...(states ?? []))
        .map(toRecord);
    return states ? read() : this.#all.get(read);
  }

  /**
   * The full id for an id or unique id prefix; see {@link resolveIdPrefix}.
   * @param field the request field, for the InvalidArgument message
   */
  resolveId(prefix: string, field = "pod_sandbox_id"): string {
    return resolveIdPrefix(this.db, "sandboxes", prefix, field);
  }

  /**
   * Moves a sandbox to `state`, applying `patch` in the same statement.
   * @param options.expect the states the sandbox may be in now; any other is a
   *   FailedPreconditionError, which makes this a compare-and-set
   * @throws NotFoundError
   */
  updateState(
    id: string,
    state: SandboxState,
    options: SandboxPatch & { expect?: readonly SandboxState[] } = {},
  ): SandboxRecord {
    const sets = { ...patchColumns(options), state, updated_at: this.clock() };
    return toRecord(updateRow<SandboxRow>(this.db, "sandboxes", "sandbox", id, sets, options.expect));
  }

  /** Changes fields other than the state. @throws NotFoundError */
  update(id: string, patch: SandboxPatch): SandboxRecord {
    const sets = { ...patchColumns(patch), updated_at: this.clock() };
    return toRecord(updateRow<SandboxRow>(this.db, "sandboxes", "sandbox", id, sets));
  }

  /**
   * Deletes a sandbox row. Its containers must be deleted first (see the schema
   * comment in migrations/0001-initial.ts for why this does not cascade); do both in
   * one `store.transaction` to remove a pod atomically.
   * @returns false if there was no such sandbox (Remove is idempotent in CRI)
   * @throws FailedPreconditionError if containers still reference it
   */
  delete(id: string): boolean {
    return this.db
      .transaction(() => {
        const { n } = this.db
          .query<{ n: number }, [string]>("SELECT count(*) AS n FROM containers WHERE sandbox_id = ?1")
          .get(id)!;
        if (n > 0) {
          throw new FailedPreconditionError(
            `sandbox "${id}" still has ${n} container${n === 1 ? "" : "s"}; remove them first`,
          );
        }
        return this.db.query("DELETE FROM sandboxes WHERE id = ?1").run(id).changes > 0;
      })
      .immediate();
  }
}
