/**
 * PID mode TARGET: the container joins the PID namespace of another container of its
 * pod, which must be running (it is that process's namespace that is joined). Checked
 * before anything is created, each refusal with the code the CRI calls for.
 */
import type { ContainerConfig } from "../gen/runtime/v1/api_pb.ts";
import { NamespaceMode } from "../wire/gen/runtime-v1.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { ContainerRecord } from "../store/index.ts";

const FIELD = "config.linux.security_context.namespace_options.target_id";

/**
 * The pid of the container a TARGET PID mode names, or undefined for any other mode.
 * `get` resolves an id or prefix, throwing NotFoundError for an unknown one.
 */
export async function pidTarget(
  sandboxId: string,
  config: ContainerConfig,
  get: (idOrPrefix: string, field: string) => Promise<ContainerRecord>,
): Promise<number | undefined> {
  const ns = config.linux?.securityContext?.namespaceOptions;
  if (ns?.pid !== NamespaceMode.TARGET) return undefined;
  if (ns.targetId === "") throw new InvalidArgumentError(FIELD, "is empty for pid mode TARGET");
  const target = await get(ns.targetId, FIELD);
  if (target.sandboxId !== sandboxId) {
    throw new InvalidArgumentError(FIELD, `container "${target.id}" belongs to sandbox "${target.sandboxId}", not "${sandboxId}"`);
  }
  const pid = (target.info as { pid?: number }).pid;
  if (target.state !== "running" || !pid) throw new FailedPreconditionError(`target container "${target.id}" is ${target.state}, not running`);
  return pid;
}
