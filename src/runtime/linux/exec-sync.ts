/**
 * ExecSync through conmon: conmon runs `runtime exec --detach`, writes the process's
 * stdout and stderr to a CRI log file in a private exec dir (so the two streams stay
 * apart: each line is tagged), reports the exec pid then the exit code on the sync pipe,
 * and with `-T` kills the process at the deadline. Verified with conmon 2.1.6 + runc 1.1.5.
 *
 * Timeout: the result is `timedOut: true` with `exitCode: -1` (what conmon reports for a
 * `-T` kill; not 137). conmon's `-T` has whole-second resolution, so the deadline is
 * rounded up to the next second.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { conmonExecArgs } from "./conmon-args.ts";
import { splitCriLog } from "./cri-log-line.ts";
import { execProcessSpec, type ExecProcess } from "./exec-process-spec.ts";
import type { ExecResult, OciRuntimeOptions } from "./runtime-types.ts";
import { runtimeErrorMessage } from "./runtime-error.ts";
import { spawnConmon } from "./spawn-conmon.ts";
import { DEFAULT_SOCKET_DIR } from "./conmon-args.ts";
import { processIdentity } from "./process-identity.ts";
import { readOr, readPid } from "../read-or.ts";

/** How long past the caller's deadline to wait for conmon's report before killing it ourselves. */
const GRACE_MS = 10_000;
/** How long to wait for conmon to report the exec pid. */
const START_TIMEOUT_MS = 60_000;

export async function execSync(
  opts: OciRuntimeOptions,
  id: string,
  dir: string,
  proc: ExecProcess,
  timeoutMs: number,
  maxOutputBytes: number,
): Promise<ExecResult> {
  const execDir = fs.mkdtempSync(path.join(dir, "exec-"));
  const execId = `${id.slice(0, 32)}-${path.basename(execDir).slice(5)}`;
  try {
    let containerProcess: Record<string, unknown> | undefined;
    try {
      const spec = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as { process?: Record<string, unknown> };
      containerProcess = spec.process;
    } catch (err) {
      throw new Error(`exec in container "${id}": read config.json`, { cause: err });
    }
    fs.writeFileSync(path.join(execDir, "process.json"), JSON.stringify(execProcessSpec(containerProcess, proc)));
    const args = conmonExecArgs(opts, { id, execDir, execId, timeoutMs, tty: proc.tty ?? false });
    const conmon = await spawnConmon(opts, args, execDir);
    let timedOut = false;
    let exitCode: number;
    try {
      const started = await conmon.sync.next(START_TIMEOUT_MS);
      if (!started || started.data < 0) {
        const why = started?.message ? runtimeErrorMessage(started.message, started.message) : conmon.stderrText();
        throw new Error(`${opts.handler} exec in container "${id}": ${why || "conmon reported no exec pid"}`);
      }
      const limit = timeoutMs > 0 ? Math.ceil(timeoutMs / 1000) * 1000 + GRACE_MS : 0;
      const ended = await conmon.sync.next(limit);
      if (!ended) {
        // conmon missed its deadline or died: end the process ourselves
        killQuietly(started.data);
        timedOut = timeoutMs > 0;
        exitCode = -1;
      } else if (ended.data < 0 && /timed out/i.test(ended.message ?? "")) {
        timedOut = true;
        exitCode = -1;
      } else {
        exitCode = ended.data;
      }
    } finally {
      await conmon.sync.close();
    }
    // conmon may still be flushing the log and setting up its fifos: let it finish first
    const conmonPid = readPid(path.join(execDir, "conmon.pid"));
    if (conmonPid) await waitGone(conmonPid, CONMON_EXIT_WAIT_MS);
    const log = readOr(path.join(execDir, "log"), "");
    const out = splitCriLog(log, maxOutputBytes);
    if (out.stdoutTruncated || out.stderrTruncated) opts.log?.debug(`exec in container "${id}": output truncated to ${maxOutputBytes} bytes`);
    return { stdout: out.stdout, stderr: out.stderr, exitCode, timedOut };
  } finally {
    const conmonPid = readPid(path.join(execDir, "conmon.pid"));
    if (conmonPid) await waitGone(conmonPid, CONMON_EXIT_WAIT_MS);
    fs.rmSync(execDir, { recursive: true, force: true });
    fs.rmSync(path.join(opts.socketDir ?? DEFAULT_SOCKET_DIR, execId), { force: true });
  }
}

/** How long to wait for the exec's conmon to exit after it reported the exit code. */
const CONMON_EXIT_WAIT_MS = 5000;

/**
 * Waits until a process that is not our child has exited (gone, or a zombie: conmon's
 * parent is init, which reaps it in its own time).
 */
async function waitGone(pid: number, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    if (!processIdentity(pid)) return;
    await Bun.sleep(10);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
