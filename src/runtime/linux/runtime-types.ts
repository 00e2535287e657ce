/**
 * The types of the Linux OCI runtime driver, apart from its code, so the files that
 * implement one verb each (conmon args, exec, detached run, runtime calls, exit watch)
 * depend on them and not on the driver that uses them.
 */
import type { ExecProcess } from "./exec-process-spec.ts";
import type { ProcessIdentity } from "./process-identity.ts";
import type { ProcessIo } from "../process-io.ts";

export type OciRuntimeOptions = {
  /** Runtime handler name, for messages. */
  handler: string;
  /** e.g. /usr/sbin/runc */
  runtimePath: string;
  /** runc/crun `--root`. */
  runtimeRoot: string;
  /** e.g. /usr/bin/conmon */
  conmonPath: string;
  /** Use the systemd cgroup manager (runc `--systemd-cgroup`, conmon `-s`). */
  systemdCgroup: boolean;
  /** Shared dir where conmon writes `<id>` exit files. */
  exitDir: string;
  /** Short dir for attach socket links (`<socketDir>/<id>/attach`); default /run/skiff/sock. */
  socketDir?: string;
  /** conmon `--log-level`; default "info". */
  conmonLogLevel?: string;
  log?: { info(...a: unknown[]): void; warn(...a: unknown[]): void; debug(...a: unknown[]): void };
  /**
   * Start a created container by its exec fifo, as `runc start` does, without running the
   * runtime (runc's state layout only; see exec-fifo.ts). Falls back to `<runtime> start`.
   */
  execFifoStart?: boolean;
  /** Told how long each runtime call took (`create` counts conmon's part too), for metrics. */
  observe?: (verb: string, seconds: number) => void;
};

export type CreateRequest = {
  id: string;
  dir: string;
  logPath: string;
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  /** How long to wait for conmon to report the created container; default 60 s. */
  timeoutMs?: number;
  /** conmon `--log-size-max` in bytes; unset or 0 = unlimited. */
  logSizeMax?: number;
};

export type ExitInfo = { exitCode: number; finishedAt: bigint /* ns since epoch, from the exit file's mtime */; oomKilled: boolean };
export type ExecResult = { stdout: Uint8Array; stderr: Uint8Array; exitCode: number; timedOut: boolean };
export type RuntimeStatus = "created" | "running" | "stopped" | "paused";

export interface OciRuntime {
  /** conmon + `runtime create`; resolves with the container's init pid and conmon's pid once created; on failure removes everything it made (runtime delete --force) and throws an Error carrying runtime/conmon stderr. */
  create(req: CreateRequest): Promise<{ pid: number; conmonPid: number }>;
  /** Starts a created container; `pid` (its init) lets runc's exec fifo be used instead of `runc start`. */
  start(id: string, pid?: number): Promise<void>;
  /** Create and start in one call with no conmon (a pod's infra process); see run-detached.ts. */
  runDetached(id: string, dir: string): Promise<ProcessIdentity>;
  /**
   * Makes conmon reopen the container's log file (after the kubelet rotated it) and
   * resolves once the new file is at `logPath`; see reopenLogAndWait.
   */
  reopenLog(id: string, dir: string, logPath: string): Promise<void>;
  /** "process not found"/"container not running" are not errors; an unknown container is NotFoundError. */
  kill(id: string, signal: string | number, all?: boolean): Promise<void>;
  /**
   * Stop: signal, wait up to timeoutMs for the exit file, then SIGKILL and wait. Idempotent.
   * Resolves with the exit (undefined when the container is unknown and left no exit file).
   * `dir` (the container dir) lets the result carry the OOM marker.
   */
  stop(id: string, signal: string | number, timeoutMs: number, dir?: string): Promise<ExitInfo | undefined>;
  /** Idempotent ("does not exist" is fine); also drops the exit file and the attach socket link. */
  delete(id: string, force?: boolean): Promise<void>;
  state(id: string): Promise<{ status: RuntimeStatus; pid: number } | undefined>;
  /** The exit recorded by conmon (exit file in exitDir, and an `oom` marker conmon writes in the persist dir), or undefined while it runs. */
  exitInfo(id: string, dir: string): Promise<ExitInfo | undefined>;
  /** Resolves when the container exits (fs.watch on exitDir, with a polling fallback); for the integrator's status updates. */
  waitExit(id: string, dir: string, signal?: AbortSignal): Promise<ExitInfo>;
  /**
   * ExecSync through conmon. On timeout (0 = none) the process is SIGKILLed and the result
   * is `timedOut: true, exitCode: -1`. stdout/stderr are capped at maxOutputBytes each.
   */
  execSync(id: string, dir: string, process: ExecProcess, timeoutMs: number, maxOutputBytes: number): Promise<ExecResult>;
  /** `runtime update --resources` with an OCI LinuxResources JSON. */
  update(id: string, resources: object): Promise<void>;
  /**
   * An interactive exec (kubectl exec): the client's streams as its stdio, a pty when
   * `process.tty`; resolves with the exit code. When `signal` aborts (the client left) the
   * process is killed. `connectSeqpacket` opens conmon's attach socket (Platform).
   */
  execInteractive(id: string, dir: string, process: ExecProcess, io: ProcessIo, signal: AbortSignal, connectSeqpacket: (path: string) => number): Promise<number>;
  /** Attach to the main process through conmon; resolves when its output ends or `signal` aborts. `tty`: the container has a terminal. */
  attach(id: string, dir: string, io: ProcessIo, signal: AbortSignal, connectSeqpacket: (path: string) => number, tty: boolean): Promise<void>;
}
