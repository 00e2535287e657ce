/**
 * Processes in a compute system: the init process, whose output goes to the CRI log, and
 * ExecSync's, whose output is collected. A process's end is seen when its stdout and
 * stderr reach end of file (the writer's ends close when it exits); then its exit code is
 * read with HcsGetProcessProperties, asked again briefly while HCS has not marked it
 * exited yet. No timer polls a running process, so an idle node makes no HCS calls.
 * (A child that inherits the pipes and outlives the process delays this until it ends.)
 */
import type { Process } from "../../oci/spec.ts";
import type { Hcs, HcsProcess, HcsSystem, PipeReader } from "../../platform/windows-host.ts";
import { type LogSink, pumpCriLog } from "./cri-log-writer.ts";
import { processParameters } from "./process-parameters.ts";

/** How often the exit code is asked for once the pipes closed, and how long before giving up. */
const EXIT_POLL_MS = 20;
const EXIT_POLL_LIMIT_MS = 30_000;

/** HcsTerminateProcess's exit code when a process is ended without being asked. */
export const TERMINATED_EXIT_CODE = 1;

/** Reads a pipe to its end, keeping at most `max` bytes. */
async function collect(r: PipeReader | undefined, max: number): Promise<Uint8Array> {
  if (!r) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let c = await r.read(); c !== null; c = await r.read()) {
    if (size < max) parts.push(c.subarray(0, max - size));
    size += c.length;
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** Waits for `streams` to end, then for HCS to report the exit; the exit code. */
export async function exitCodeOf(hcs: Hcs, p: HcsProcess, streams: Promise<unknown>): Promise<number> {
  await streams;
  const until = Date.now() + EXIT_POLL_LIMIT_MS;
  for (;;) {
    const st = await hcs.getProcessProperties(p);
    if (st.Exited) return st.ExitCode ?? 0;
    if (Date.now() > until) throw new Error(`process ${p.pid} in "${p.systemId}" closed its output but HCS does not report it exited`);
    await Bun.sleep(EXIT_POLL_MS);
  }
}

export type Init = { process: HcsProcess; exit: Promise<number> };

/**
 * Starts the init process of `system` from the spec's process. Its stdout (and stderr,
 * unless it has a console) are pumped into `sink` in the CRI log format.
 */
export async function startInit(hcs: Hcs, system: HcsSystem, p: Process, sink: LogSink, clock: () => bigint): Promise<Init> {
  const tty = p.terminal === true;
  const proc = await hcs.createProcess(system, JSON.stringify(processParameters(p, { stdout: true, stderr: !tty })));
  const pumps = Promise.all([
    proc.stdout ? pumpCriLog(proc.stdout, "stdout", sink, clock) : undefined,
    proc.stderr ? pumpCriLog(proc.stderr, "stderr", sink, clock) : undefined,
  ]);
  return { process: proc, exit: exitCodeOf(hcs, proc, pumps) };
}

export type ExecOutput = { stdout: Uint8Array; stderr: Uint8Array; exitCode: number; timedOut: boolean };

/**
 * Runs `cmd` in `system` with the container's environment, working directory and user,
 * to completion or until `timeoutMs` (0: none), when it is terminated.
 */
export async function execInSystem(hcs: Hcs, system: HcsSystem, base: Process, cmd: string[], timeoutMs: number, maxOutput: number): Promise<ExecOutput> {
  const p: Process = { ...base, args: cmd, commandLine: undefined, terminal: false };
  const proc = await hcs.createProcess(system, JSON.stringify(processParameters(p, { stdout: true, stderr: true })));
  try {
    const out = Promise.all([collect(proc.stdout, maxOutput), collect(proc.stderr, maxOutput)]);
    const exit = exitCodeOf(hcs, proc, out);
    let timedOut = false;
    let timer: Timer | undefined;
    const deadline =
      timeoutMs > 0
        ? new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), timeoutMs);
          })
        : undefined;
    const first = await (deadline ? Promise.race([exit, deadline]) : exit);
    clearTimeout(timer);
    if (first === "timeout") {
      timedOut = true;
      await hcs.terminateProcess(proc).catch(() => {});
    }
    const exitCode = timedOut ? await exit.catch(() => TERMINATED_EXIT_CODE) : (first as number);
    const [stdout, stderr] = await out;
    return { stdout, stderr, exitCode, timedOut };
  } finally {
    hcs.closeProcess(proc);
  }
}
