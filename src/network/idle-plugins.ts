/**
 * Plugin calls skiff leaves out because the plugin would do nothing. Each exec of a Go
 * plugin costs 4-5 ms on a small node, and a pod start runs two or three of them, so a
 * call that can only hand back what it was given is worth not making. Only what the
 * reference plugins' code (containernetworking/plugins) shows to be a no-op is listed:
 *
 * - portmap with no `portMappings` in its runtimeConfig: ADD returns its prevResult
 *   unchanged, DEL and CHECK return at once. It still runs when it is first in a list
 *   (its ADD fails there, and that error is the operator's to see).
 *
 * A config that portmap would refuse (say a bad `markMasqBit`) therefore shows up on the
 * first pod that maps a host port rather than on every pod.
 */
import type { CniCommand } from "./plugin-input.ts";

/** What a call of `type` with this stdin gives back, when it is a no-op: `skip` is set. */
export function idleCall(type: string, command: CniCommand, stdin: Record<string, unknown>): { skip: boolean; result?: unknown } {
  if (type !== "portmap") return { skip: false };
  const rc = stdin.runtimeConfig as { portMappings?: unknown[] } | undefined;
  if (Array.isArray(rc?.portMappings) && rc.portMappings.length > 0) return { skip: false };
  if (command !== "ADD") return { skip: true };
  return stdin.prevResult === undefined ? { skip: false } : { skip: true, result: stdin.prevResult };
}
