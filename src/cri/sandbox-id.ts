import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { Pods } from "./context.ts";

/**
 * The full id of the sandbox a Stop or Remove names, or undefined when there is none:
 * both must succeed for a sandbox that is already gone (api.proto: they are idempotent).
 */
export function sandboxIdForIdempotent(pods: Pods, podSandboxId: string): string | undefined {
  if (podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
  try {
    return pods.sandboxes.get(podSandboxId).id;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
