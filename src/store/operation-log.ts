import type { Database } from "bun:sqlite";
import { NotFoundError } from "../errors.ts";
import type { Clock } from "./clock.ts";
import { decodeJson, encodeJson, type JsonValue } from "./json.ts";

/**
 * One operation in progress: what it is (`kind`, e.g. "sandbox-run"), what it acts on
 * (`objectId`), the last step it recorded as done or about to start, and whatever it
 * needs to finish or undo that step (`data`, e.g. the netns path it pinned).
 */
export type Operation = {
  readonly id: number;
  readonly kind: string;
  readonly objectId: string;
  readonly step: string;
  readonly data: JsonValue;
  readonly startedAt: bigint;
  readonly updatedAt: bigint;
};

type OperationRow = {
  id: bigint;
  kind: string;
  object_id: string;
  step: string;
  data: string;
  started_at: bigint;
  updated_at: bigint;
};

function toOperation(r: OperationRow): Operation {
  return {
    id: Number(r.id),
    kind: r.kind,
    objectId: r.object_id,
    step: r.step,
    data: decodeJson(r.data, `operations.data of ${r.id}`),
    startedAt: BigInt(r.started_at),
    updatedAt: BigInt(r.updated_at),
  };
}

/**
 * The intent log (DESIGN.md: "every step first records its intent in the store, so a
 * restart can finish or undo it"). An operation is a row from `begin` until `finish`
 * deletes it, so after a crash `listUnfinished()` is exactly the work to recover.
 * Record a step *before* doing its side effect, and put `begin` in the same
 * `store.transaction` as the first row it concerns (e.g. the sandbox in "creating").
 */
export class OperationLog {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Starts an operation at `step` (default "started"). */
  begin(kind: string, objectId: string, options: { step?: string; data?: JsonValue } = {}): Operation {
    const now = this.clock();
    const row = this.db
      .query<OperationRow, Record<string, string | bigint>>(
        `INSERT INTO operations (kind, object_id, step, data, started_at, updated_at)
         VALUES ($kind, $object_id, $step, $data, $now, $now)
         RETURNING *`,
      )
      .safeIntegers(true)
      .get({
        kind,
        object_id: objectId,
        step: options.step ?? "started",
        data: encodeJson(options.data ?? {}, "operations.data"),
        now,
      });
    return toOperation(row!);
  }

  /**
   * Records that the operation reached `step`; `data`, when given, replaces the old.
   * @throws NotFoundError if the operation is unknown or already finished
   */
  advance(id: number, step: string, data?: JsonValue): Operation {
    const row = this.db
      .query<OperationRow, Record<string, string | number | bigint | null>>(
        `UPDATE operations SET step = $step, data = coalesce($data, data), updated_at = $now
         WHERE id = $id RETURNING *`,
      )
      .safeIntegers(true)
      .get({
        id,
        step,
        data: data === undefined ? null : encodeJson(data, "operations.data"),
        now: this.clock(),
      });
    if (!row) throw new NotFoundError(`operation ${id} not found`);
    return toOperation(row);
  }

  /**
   * Marks the operation done (completed or fully undone) by deleting it.
   * @returns false if it was not in the log, so finishing twice is harmless
   */
  finish(id: number): boolean {
    return this.db.query("DELETE FROM operations WHERE id = ?1").run(id).changes > 0;
  }

  /** The operation, or undefined once finished. */
  find(id: number): Operation | undefined {
    const row = this.db
      .query<OperationRow, [number]>("SELECT * FROM operations WHERE id = ?1")
      .safeIntegers(true)
      .get(id);
    return row ? toOperation(row) : undefined;
  }

  /** Unfinished operations in the order they began, optionally of one kind and/or object. */
  listUnfinished(filter: { kind?: string; objectId?: string } = {}): Operation[] {
    return this.db
      .query<OperationRow, Record<string, string | null>>(
        `SELECT * FROM operations
         WHERE ($kind IS NULL OR kind = $kind) AND ($object_id IS NULL OR object_id = $object_id)
         ORDER BY id`,
      )
      .safeIntegers(true)
      .all({ kind: filter.kind ?? null, object_id: filter.objectId ?? null })
      .map(toOperation);
  }
}
