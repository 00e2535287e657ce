/**
 * argv for conmon 2.1.6, built purely from the runtime options and the request so the
 * flags can be unit-tested. Facts checked on this host (conmon 2.1.6, runc 1.1.5):
 * - `--runtime-arg` values go before the runtime subcommand, so they carry global runtime
 *   flags such as `--root=<dir>`.
 * - `-s` (systemd cgroup manager) makes conmon itself pass `--systemd-cgroup` to
 *   `runtime create` (not to exec), so it is not repeated as a `--runtime-arg`.
 * - `--socket-dir-path <d>` makes conmon link `<d>/<id>` to the bundle dir and serve attach
 *   on `<d>/<id>/attach`; a short `<d>` keeps that under the 108-byte sun_path limit.
 * - `-T <seconds>` (exec only here) makes conmon SIGKILL the exec'd process at the deadline
 *   and report exit -1 with the message "command timed out" on the sync pipe.
 */
import * as path from "node:path";
import type { CreateRequest, OciRuntimeOptions } from "./runtime-types.ts";

/** The default attach socket dir when the options name none. */
export const DEFAULT_SOCKET_DIR = "/run/skiff/sock";

/** Files conmon and the runtime leave in a container dir; removed when a create fails. */
export const CONMON_FILES = ["attach", "ctl", "winsz", "pidfile", "conmon.pid", "exit", "oom"] as const;

function commonArgs(opts: OciRuntimeOptions): string[] {
  return [
    "--api-version",
    "1",
    "-r",
    opts.runtimePath,
    "--runtime-arg",
    `--root=${opts.runtimeRoot}`,
    "--socket-dir-path",
    opts.socketDir ?? DEFAULT_SOCKET_DIR,
    "--log-level",
    opts.conmonLogLevel ?? "info",
  ];
}

/** conmon argv (without the binary) that runs `runtime create` for a container. */
export function conmonArgs(opts: OciRuntimeOptions, req: CreateRequest): string[] {
  const args = [
    ...commonArgs(opts),
    ...processArgs({ id: req.id, uuid: req.id, dir: req.dir, exitDir: opts.exitDir, logPath: req.logPath }),
    "--persist-dir",
    req.dir,
  ];
  if (req.logSizeMax !== undefined && req.logSizeMax > 0) args.push("--log-size-max", String(req.logSizeMax));
  if (opts.systemdCgroup) args.push("-s");
  if (req.tty) args.push("-t");
  if (req.stdin) {
    args.push("-i");
    // CRI stdinOnce=false: the container keeps its stdin when an attach client leaves
    if (!req.stdinOnce) args.push("--leave-stdin-open");
  }
  return args;
}

/**
 * What names one conmon-monitored process: container id, conmon's own id for it (the
 * container id, or an exec's id), its dir with conmon's pid files, where the exit code
 * goes and where its output is logged in the CRI format.
 */
function processArgs(p: { id: string; uuid: string; dir: string; exitDir: string; logPath: string; log?: string }): string[] {
  return [
    "-c", p.id,
    "-u", p.uuid,
    "-n", p.id,
    "-b", p.dir,
    "-p", path.join(p.dir, "pidfile"),
    "-P", path.join(p.dir, "conmon.pid"),
    "--exit-dir", p.exitDir,
    "-l", p.log ?? `k8s-file:${p.logPath}`,
  ];
}

export type ExecArgsRequest = {
  id: string;
  /** A fresh private dir for this exec: process spec, pidfile, exit file and log. */
  execDir: string;
  execId: string;
  timeoutMs: number;
  tty: boolean;
};

/** conmon argv for an exec whose output conmon writes as a CRI log in `<execDir>/log`. */
export function conmonExecArgs(opts: OciRuntimeOptions, req: ExecArgsRequest): string[] {
  const args = [
    ...commonArgs(opts),
    ...processArgs({ id: req.id, uuid: req.execId, dir: req.execDir, exitDir: req.execDir, logPath: path.join(req.execDir, "log") }),
    "-e",
    "--exec-process-spec",
    path.join(req.execDir, "process.json"),
  ];
  if (req.timeoutMs > 0) args.push("-T", String(Math.ceil(req.timeoutMs / 1000)));
  if (req.tty) args.push("-t");
  return args;
}

/**
 * conmon argv for an interactive exec served through its attach socket (`--exec-attach`,
 * as podman runs `exec -it`): conmon reports on the attach pipe once its socket listens
 * and starts the runtime only after the second write to the start pipe, so no output is
 * lost. With `-t` the runtime makes the pty inside the container and conmon holds its
 * master. Nothing is logged (`none`): the client gets the output.
 */
export function conmonExecAttachArgs(opts: OciRuntimeOptions, req: { id: string; execDir: string; execId: string; tty: boolean; stdin: boolean }): string[] {
  const args = [
    ...commonArgs(opts),
    ...processArgs({ id: req.id, uuid: req.execId, dir: req.execDir, exitDir: req.execDir, logPath: "", log: "none:/dev/null" }),
    "-e",
    "--exec-attach",
    "--exec-process-spec",
    path.join(req.execDir, "process.json"),
  ];
  if (req.tty) args.push("-t");
  if (req.stdin) args.push("-i");
  return args;
}
