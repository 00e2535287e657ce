/**
 * The JavaScriptCore settings `skiff serve` runs with. JavaScriptCore reads its options
 * from the environment once, before any JS runs, so a daemon started without them starts
 * itself over with them (Linux: `execve`, same pid, same descriptors, same arguments).
 * A variable the environment already names is left as it is: an operator who sets
 * `BUN_JSC_useFTLJIT=1` keeps the full JIT, and the second start does not start over.
 *
 * - FTL off (`BUN_JSC_useFTLJIT=0`): JavaScriptCore's fourth tier compiles long-running
 *   hot loops with a compiler of its own (B3/Air) on threads of its own. The daemon's work
 *   is short handlers; the third tier (DFG) already runs them as fast. Measured with
 *   bench/rpc.ts: at rest 46.2 MiB against 49.6–50.1 with FTL on, with the same daemon
 *   CPU per `Version` (109 µs sequential, 66 with 16 in flight).
 *
 * On Windows a process cannot start itself over in place (a service's process is the one
 * the Service Control Manager watches), so these apply there only when the environment
 * sets them.
 */
import { execSelf } from "../platform/linux/exec-self.ts";

/** Each setting and its value. */
export const DAEMON_JSC_ENV: Readonly<Record<string, string>> = { BUN_JSC_useFTLJIT: "0" };

/** The daemon's settings that `env` does not name yet: what a start over would add. */
export function missingJscEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(DAEMON_JSC_ENV).filter(([k]) => env[k] === undefined));
}

/** The daemon's settings in effect, as `k=v` for the start-up log. */
export function jscEnvInEffect(env: Record<string, string | undefined>): string {
  return Object.keys(DAEMON_JSC_ENV)
    .map((k) => `${k}=${env[k] ?? "(unset)"}`)
    .join(" ");
}

/**
 * On Linux, starts this process over with the settings it lacks; returns only when it
 * has them all already, is not on Linux, or could not start over (said on stderr).
 */
export function startOverWithDaemonJit(): void {
  if (process.platform !== "linux") return;
  const extra = missingJscEnv(process.env);
  if (Object.keys(extra).length === 0) return;
  const err = execSelf(extra);
  console.error(`skiff: could not start over with ${Object.keys(extra).join(", ")} set (${err.message}); running without`);
}
