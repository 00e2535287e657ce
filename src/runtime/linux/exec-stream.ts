/**
 * An interactive exec without a tty: `runc exec` run directly, the client's streams on
 * its stdio pipes (runc hands its own stdio to the process when there is no terminal), so
 * bytes go straight through with the pipes' own backpressure. Measured on this host
 * (runc 1.1.5, busybox `echo`): 16-24 ms p50, against 34-44 ms for the same exec run under
 * conmon's --exec-attach, which a tty needs (exec-tty.ts) and a pipe does not.
 *
 * runc writes its own errors to a JSON log (`--log`), never to the process's stderr, so a
 * start failure (no such binary) is told apart from the process exiting 1: it throws, and
 * the client gets it as an error status. The exec'd pid comes from `--pid-file`; when the
 * client goes away the process is SIGKILLed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ProcessIo } from "../process-io.ts";
import { execProcessSpec, type ExecProcess } from "./exec-process-spec.ts";
import type { OciRuntimeOptions } from "./runtime-types.ts";
import { runtimeArgv } from "./run-runtime.ts";
import { readPid } from "../read-or.ts";

/** How long output may still flow after the process exited (a child it left may hold the pipes). */
export const OUTPUT_GRACE_MS = 2000;

/** The last error runc logged (`--log-format json`), if any. */
export function runtimeLogError(text: string): string | undefined {
  let last: string | undefined;
  for (const line of text.split("\n")) {
    try {
      const v = JSON.parse(line) as { level?: string; msg?: string };
      if ((v.level === "error" || v.level === "fatal") && v.msg) last = v.msg;
    } catch {
      // not a log line
    }
  }
  return last;
}

/** Copies a readable into a sink, then ends the sink. */
export async function pipeToSink(from: ReadableStream<Uint8Array>, to: NonNullable<ProcessIo["stdout"]>): Promise<void> {
  for await (const chunk of from) await to.write(chunk);
  await to.end();
}

/** The container's `process` from its config.json, the base of every exec. */
export function containerProcessOf(id: string, dir: string): Record<string, unknown> | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as { process?: Record<string, unknown> }).process;
  } catch (err) {
    throw new Error(`exec in container "${id}": read config.json`, { cause: err });
  }
}

export async function execStream(opts: OciRuntimeOptions, id: string, dir: string, proc: ExecProcess, io: ProcessIo, signal: AbortSignal): Promise<number> {
  const execDir = fs.mkdtempSync(path.join(dir, "exec-"));
  try {
    const processFile = path.join(execDir, "process.json");
    const pidFile = path.join(execDir, "pid");
    const logFile = path.join(execDir, "runtime.log");
    fs.writeFileSync(processFile, JSON.stringify(execProcessSpec(containerProcessOf(id, dir), { ...proc, tty: false })));
    const argv = runtimeArgv(opts, ["--log", logFile, "--log-format", "json", "exec", "--process", processFile, "--pid-file", pidFile, id]);
    opts.log?.debug("oci runtime", argv.join(" "));
    const child = Bun.spawn(argv, {
      // Bun copies a ReadableStream into the pipe as the process reads, and closes the pipe at its end.
      stdin: io.stdin ?? "ignore",
      stdout: io.stdout ? "pipe" : "ignore",
      stderr: io.stderr ? "pipe" : "ignore",
    });
    const kill = () => {
      const pid = readPid(pidFile);
      if (pid) killQuietly(pid);
      child.kill("SIGKILL");
    };
    signal.addEventListener("abort", kill, { once: true });
    // Output the client can no longer take (its stream was reset) ends the process too:
    // it would otherwise block on a full pipe for good.
    const outputs = [
      io.stdout && child.stdout instanceof ReadableStream ? pipeToSink(child.stdout, io.stdout) : undefined,
      io.stderr && child.stderr instanceof ReadableStream ? pipeToSink(child.stderr, io.stderr) : undefined,
    ]
      .filter((p) => p !== undefined)
      .map((p) => p.catch(kill));
    try {
      const exitCode = await child.exited;
      await Promise.race([Promise.allSettled(outputs), Bun.sleep(OUTPUT_GRACE_MS)]);
      const failure = runtimeLogError(fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");
      if (failure && !fs.existsSync(pidFile)) throw new Error(`${opts.handler} exec in container "${id}": ${failure}`);
      return exitCode;
    } finally {
      signal.removeEventListener("abort", kill);
    }
  } finally {
    fs.rmSync(execDir, { recursive: true, force: true });
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}
