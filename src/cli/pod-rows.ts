/** The table `skiff pods` prints, laid out as crictl's. */
import { type PodSandbox, PodSandboxState } from "../gen/runtime/v1/api_pb.ts";
import { createdAgo } from "./human-duration.ts";
import { SHORT_ID_LENGTH } from "./short-id.ts";

export const POD_TABLE_HEADERS = ["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"] as const;

/** "Ready" / "NotReady", as crictl spells the state. */
export function podStateName(state: PodSandboxState): string {
  return state === PodSandboxState.SANDBOX_READY ? "Ready" : "NotReady";
}

/** One row per pod; the runtime handler shows as "(default)" when empty. */
export function podTableRows(pods: readonly PodSandbox[], nowMs = Date.now()): string[][] {
  return pods.map((p) => [
    p.id.slice(0, SHORT_ID_LENGTH),
    createdAgo(p.createdAt, nowMs),
    podStateName(p.state),
    p.metadata?.name ?? "",
    p.metadata?.namespace ?? "",
    String(p.metadata?.attempt ?? 0),
    p.runtimeHandler || "(default)",
  ]);
}
