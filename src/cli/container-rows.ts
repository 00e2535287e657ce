/** The table `skiff ps` prints, laid out as crictl's. */
import { type Container, ContainerState } from "../gen/runtime/v1/api_pb.ts";
import { createdAgo } from "./human-duration.ts";
import { SHORT_ID_LENGTH, shortId } from "./short-id.ts";

export const CONTAINER_TABLE_HEADERS = ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"] as const;

const STATE_NAMES: Record<ContainerState, string> = {
  [ContainerState.CONTAINER_CREATED]: "Created",
  [ContainerState.CONTAINER_RUNNING]: "Running",
  [ContainerState.CONTAINER_EXITED]: "Exited",
  [ContainerState.CONTAINER_UNKNOWN]: "Unknown",
};

/** "Running", "Exited"...: crictl's spelling of a container state. */
export function containerStateName(state: ContainerState): string {
  return STATE_NAMES[state] ?? "Unknown";
}

/**
 * The IMAGE cell: the name the container was created with; an image id (digest) is
 * shortened the way `skiff images` shows ids.
 */
export function imageCell(c: Container): string {
  const name = c.image?.image || c.imageRef;
  return /^(sha256:)?[0-9a-f]{64}$/.test(name) ? shortId(name) : name;
}

/** One row per container; `podNames` maps a pod id to its name for the POD column. */
export function containerTableRows(containers: readonly Container[], podNames: ReadonlyMap<string, string>, nowMs = Date.now()): string[][] {
  return containers.map((c) => [
    c.id.slice(0, SHORT_ID_LENGTH),
    imageCell(c),
    createdAgo(c.createdAt, nowMs),
    containerStateName(c.state),
    c.metadata?.name ?? "",
    String(c.metadata?.attempt ?? 0),
    c.podSandboxId.slice(0, SHORT_ID_LENGTH),
    podNames.get(c.podSandboxId) ?? "unknown",
  ]);
}
