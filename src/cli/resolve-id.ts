/**
 * Pod and container ids on the command line may be unique prefixes, as with crictl,
 * which asks the runtime to list by an id filter (runtimes match that filter by
 * prefix). A runtime that matches the filter exactly only would find nothing for a
 * prefix, so an empty answer is retried with an unfiltered list, matched here.
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { CriClient } from "./cri-client.ts";

export type IdKind = "pod" | "container";

/**
 * The one id among `ids` that `prefix` names: an exact match wins, else the only id
 * starting with it. Throws NotFoundError for none and InvalidArgumentError for several.
 */
export function pickByPrefix(ids: readonly string[], prefix: string, kind: IdKind): string {
  if (prefix === "") throw new InvalidArgumentError("id", `empty ${kind} id`);
  const unique = [...new Set(ids)];
  if (unique.includes(prefix)) return prefix;
  const hits = unique.filter((id) => id.startsWith(prefix));
  if (hits.length === 1) return hits[0] as string;
  if (hits.length === 0) throw new NotFoundError(`${kind} "${prefix}" not found`);
  throw new InvalidArgumentError("id", `"${prefix}" is ambiguous: it matches ${hits.length} ${kind}s`);
}

async function podIds(client: CriClient, prefix?: string): Promise<string[]> {
  const res = await client.runtime.listPodSandbox(prefix === undefined ? {} : { filter: { id: prefix } });
  return res.items.map((p) => p.id);
}

async function containerIds(client: CriClient, prefix?: string): Promise<string[]> {
  const res = await client.runtime.listContainers(prefix === undefined ? {} : { filter: { id: prefix } });
  return res.containers.map((c) => c.id);
}

async function resolve(list: (prefix?: string) => Promise<string[]>, prefix: string, kind: IdKind): Promise<string> {
  const filtered = (await list(prefix)).filter((id) => id.startsWith(prefix));
  if (filtered.length > 0) return pickByPrefix(filtered, prefix, kind);
  return pickByPrefix(await list(), prefix, kind);
}

/** The full pod sandbox id for a unique prefix. */
export function resolvePodId(client: CriClient, prefix: string): Promise<string> {
  return resolve((p) => podIds(client, p), prefix, "pod");
}

/** The full container id for a unique prefix. */
export function resolveContainerId(client: CriClient, prefix: string): Promise<string> {
  return resolve((p) => containerIds(client, p), prefix, "container");
}
