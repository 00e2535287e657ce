/**
 * `runtime run --detach`: create and start a container in one runtime call, with no
 * conmon. For a pod's infra process only: it has no output worth keeping, no stdin, no
 * exec and no exit code anyone reads, so a monitor would cost a process (about 2 MiB)
 * per pod for nothing. Its liveness is checked by pid and start time instead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { OciRuntimeOptions } from "./runtime-types.ts";
import { type ProcessIdentity, processIdentity } from "./process-identity.ts";
import { runtimeErrorMessage } from "./runtime-error.ts";
import { runRuntime, runtimeArgv } from "./run-runtime.ts";
import { readOr, readPid } from "../read-or.ts";

/**
 * Runs the bundle in `dir` detached. The runtime's stdio is /dev/null: it hands its own
 * stdio to the container, so a pipe here would stay open as long as the container runs.
 * Errors come from the runtime's JSON log file instead. On failure nothing is left.
 */
export async function runDetached(opts: OciRuntimeOptions, id: string, dir: string): Promise<ProcessIdentity> {
  const logFile = path.join(dir, "runtime.log");
  const pidFile = path.join(dir, "pidfile");
  fs.rmSync(pidFile, { force: true });
  const argv = runtimeArgv(opts, ["--log", logFile, "--log-format", "json", "run", "--detach", "--bundle", dir, "--pid-file", pidFile, id]);
  opts.log?.debug("oci runtime", argv.join(" "));
  // runtimeArgv puts the verb's args after the global flags, so --log precedes "run".
  const started = performance.now();
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const code = await proc.exited;
  opts.observe?.("run", (performance.now() - started) / 1000);
  const pid = readPid(pidFile);
  const identity = pid ? processIdentity(pid) : undefined;
  if (code === 0 && identity) return identity;
  const log = readOr(logFile, "");
  await runRuntime(opts, ["delete", "--force", id]).catch(() => undefined);
  const why = runtimeErrorMessage(log, code === 0 ? "the process exited at once" : `exit status ${code}`);
  throw new Error(`${opts.handler} run container "${id}": ${why}`);
}
