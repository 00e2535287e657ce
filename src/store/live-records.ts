/**
 * Looking up sandboxes and containers the way every pod manager does (Linux and Windows
 * alike): by id or unique id prefix, a row still being made counting as absent; and, for
 * the idempotent RPCs, an absent one as nothing to do.
 */
import { NotFoundError } from "../errors.ts";

type Table<R> = { resolveId(prefix: string, field?: string): string; find(id: string): R | undefined };

/** The row for `idOrPrefix`; one still "creating" is not there yet. @throws NotFoundError naming `noun` */
export function liveRecord<R extends { state: string }>(table: Table<R>, idOrPrefix: string, field: string, noun: "container" | "sandbox"): R {
  const rec = table.find(table.resolveId(idOrPrefix, field));
  if (!rec || rec.state === "creating") throw new NotFoundError(`${noun} "${idOrPrefix}" not found`);
  return rec;
}

/**
 * What `lookup` finds, or undefined when it throws NotFoundError: Stop and Remove succeed
 * for unknown ids (api.proto: they must be idempotent).
 */
export async function unlessNotFound<T>(lookup: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** What a sandbox asks of its containers when it stops or goes: each one stopped at once, or removed. */
export function podContainersOf(
  containers: { list(filter: { sandboxId: string }): readonly { id: string }[] },
  manager: { stop(id: string, timeoutSec: number): Promise<void>; remove(id: string): Promise<void> },
): { stopAll(sandboxId: string): Promise<void>; removeAll(sandboxId: string): Promise<void> } {
  return {
    stopAll: async (sid) => {
      for (const c of containers.list({ sandboxId: sid })) await manager.stop(c.id, 0);
    },
    removeAll: async (sid) => {
      for (const c of containers.list({ sandboxId: sid })) await manager.remove(c.id);
    },
  };
}
