/**
 * The Linux OCI runtime driver: conmon (one per container) runs runc or crun, holds the
 * container's stdio, writes its CRI log and records its exit, so containers are never
 * children of skiff and outlive it. The other verbs call the runtime binary directly.
 * The caller prepares `dir` (config.json + mounted rootfs); `dir` is also conmon's
 * bundle and persist dir.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InvalidArgumentError, NotFoundError } from "../../errors.ts";
import { CONMON_FILES, DEFAULT_SOCKET_DIR, conmonArgs } from "./conmon-args.ts";
import { execSync } from "./exec-sync.ts";
import { execStream } from "./exec-stream.ts";
import { execTty } from "./exec-tty.ts";
import { attachContainer } from "./attach-container.ts";
import { readExitInfo, waitForExit } from "./exit-watch.ts";
import { isNotExistMessage, isNotRunningMessage, runtimeErrorMessage } from "./runtime-error.ts";
import { runRuntime, runtimeFailure } from "./run-runtime.ts";
import { runDetached } from "./run-detached.ts";
import { reopenLogAndWait } from "./conmon-ctl.ts";
import { spawnConmon } from "./spawn-conmon.ts";
import { readPid } from "../read-or.ts";
import { startThroughExecFifo } from "./exec-fifo.ts";
import { processIdentity } from "./process-identity.ts";
import type { CreateRequest, OciRuntime, OciRuntimeOptions, RuntimeStatus } from "./runtime-types.ts";

export type { CreateRequest, ExecResult, ExitInfo, OciRuntime, OciRuntimeOptions, RuntimeStatus } from "./runtime-types.ts";

/** How long stop waits for the exit after SIGKILL before giving up. */
const KILL_WAIT_MS = 30_000;
const DEFAULT_CREATE_TIMEOUT_MS = 60_000;
/** How long a forced delete waits for a killed container to stop. */
const FORCE_DELETE_WAIT_MS = 5_000;

/** Container ids become file names and argv: keep them to a safe alphabet. */
function checkId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) {
    throw new InvalidArgumentError("id", `container id "${id}" must be 1-128 letters, digits, '_', '.', '-'`);
  }
}

export function createOciRuntime(opts: OciRuntimeOptions): OciRuntime {
  const socketDir = opts.socketDir ?? DEFAULT_SOCKET_DIR;

  /**
   * Before a forced delete: SIGKILL every process of the container and wait until the
   * runtime sees it stopped. `delete --force` alone kills and removes the cgroups at
   * once, and a process still on its way out keeps its cgroup busy, so the cgroup dirs
   * were left behind (seen after a kill -9 of skiff mid-RunPodSandbox).
   */
  async function killAndWait(id: string): Promise<void> {
    const st = await runtime.state(id).catch(() => undefined);
    if (!st || st.status === "stopped") return;
    await runtime.kill(id, "KILL", true).catch(() => undefined);
    const until = Date.now() + FORCE_DELETE_WAIT_MS;
    while (Date.now() < until) {
      const now = await runtime.state(id).catch(() => undefined);
      if (!now || now.status === "stopped") return;
      await Bun.sleep(20);
    }
    opts.log?.warn(`${opts.handler} container "${id}" still not stopped ${FORCE_DELETE_WAIT_MS} ms after SIGKILL; deleting it anyway`);
  }

  /**
   * `runtime delete`. Forced, a plain delete is tried first: it is all a stopped container
   * (the usual case, after a stop) needs. Only when that fails is the container killed,
   * waited for, and deleted with `--force`.
   */
  async function removeState(id: string, force: boolean): Promise<void> {
    let r = await runRuntime(opts, ["delete", id]);
    if (r.exitCode !== 0 && !isNotExistMessage(r.stderr) && force) {
      await killAndWait(id);
      r = await runRuntime(opts, ["delete", "--force", id]);
    }
    if (r.exitCode !== 0 && !isNotExistMessage(r.stderr)) throw runtimeFailure(opts, "delete", id, r);
  }

  /** Undo a failed create: conmon (if it lives on), runtime state, conmon's files. */
  async function undoCreate(req: CreateRequest): Promise<void> {
    const conmonPid = readPid(path.join(req.dir, "conmon.pid"));
    if (conmonPid) killQuietly(conmonPid, "SIGKILL");
    await removeState(req.id, true).catch((err) => opts.log?.warn(`undo create of container "${req.id}"`, err));
    for (const f of CONMON_FILES) fs.rmSync(path.join(req.dir, f), { force: true });
    fs.rmSync(path.join(opts.exitDir, req.id), { force: true });
    fs.rmSync(path.join(socketDir, req.id), { force: true });
  }

  const runtime: OciRuntime = {
    async create(req) {
      checkId(req.id);
      fs.mkdirSync(opts.exitDir, { recursive: true });
      fs.mkdirSync(socketDir, { recursive: true });
      fs.mkdirSync(path.dirname(req.logPath), { recursive: true });
      // a stale exit file from an earlier container with this id would read as "exited"
      fs.rmSync(path.join(opts.exitDir, req.id), { force: true });
      for (const f of ["exit", "oom"]) fs.rmSync(path.join(req.dir, f), { force: true });
      const started = performance.now();
      const conmon = await spawnConmon(opts, conmonArgs(opts, req), req.dir);
      let msg;
      try {
        msg = await conmon.sync.next(req.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS);
      } finally {
        await conmon.sync.close();
      }
      opts.observe?.("create", (performance.now() - started) / 1000);
      const conmonStatus = await Promise.race([conmon.exited, Bun.sleep(5000).then(() => undefined)]);
      if (!msg || msg.data <= 0) {
        await undoCreate(req);
        const why = msg?.message
          ? runtimeErrorMessage(msg.message, msg.message)
          : conmon.stderrText() || (msg ? "runtime create failed" : `no report from conmon (exit status ${conmonStatus ?? "unknown"})`);
        throw new Error(`${opts.handler} create container "${req.id}": ${why}`);
      }
      const conmonPid = readPid(path.join(req.dir, "conmon.pid"));
      if (!conmonPid) {
        await undoCreate(req);
        throw new Error(`${opts.handler} create container "${req.id}": conmon wrote no pid file`);
      }
      opts.log?.debug(`created container "${req.id}" pid ${msg.data} conmon ${conmonPid}`);
      return { pid: msg.data, conmonPid };
    },

    async reopenLog(id, dir, logPath) {
      checkId(id);
      await reopenLogAndWait(id, dir, logPath);
    },

    runDetached(id, dir) {
      checkId(id);
      return runDetached(opts, id, dir);
    },

    async start(id, pid) {
      if (opts.execFifoStart && pid !== undefined) {
        checkId(id);
        const started = performance.now();
        const how = await startThroughExecFifo(path.join(opts.runtimeRoot, id), pid, (p) => processIdentity(p) !== undefined);
        if (how === "started") {
          opts.observe?.("start", (performance.now() - started) / 1000);
          return;
        }
      }
      const r = await runRuntime(opts, ["start", id]);
      if (r.exitCode === 0) return;
      if (isNotExistMessage(r.stderr)) throw new NotFoundError(`container "${id}" not found`);
      throw runtimeFailure(opts, "start", id, r);
    },

    async kill(id, signal, all) {
      const r = await runRuntime(opts, ["kill", ...(all ? ["--all"] : []), id, String(signal)]);
      if (r.exitCode === 0 || isNotRunningMessage(r.stderr)) return;
      if (isNotExistMessage(r.stderr)) throw new NotFoundError(`container "${id}" not found`);
      throw runtimeFailure(opts, "kill", id, r);
    },

    async stop(id, signal, timeoutMs, dir) {
      const persist = dir ?? path.join(opts.exitDir, ".none");
      const done = readExitInfo(opts.exitDir, id, persist);
      if (done) return done;
      const st = await runtime.state(id);
      if (!st) return readExitInfo(opts.exitDir, id, persist);
      if (st.status !== "stopped" && timeoutMs > 0) {
        await runtime.kill(id, signal).catch((err) => {
          if (!(err instanceof NotFoundError)) throw err;
        });
        const info = await waitForExit(opts.exitDir, id, persist, AbortSignal.timeout(timeoutMs)).catch(() => undefined);
        if (info) return info;
      }
      await runtime.kill(id, "KILL", true).catch((err) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      try {
        return await waitForExit(opts.exitDir, id, persist, AbortSignal.timeout(KILL_WAIT_MS));
      } catch {
        // no conmon to record an exit (it died, or the state is orphaned)
        const after = await runtime.state(id);
        if (after && after.status !== "stopped") {
          throw new Error(`${opts.handler} stop container "${id}": still ${after.status} after SIGKILL`);
        }
        return readExitInfo(opts.exitDir, id, persist);
      }
    },

    async delete(id, force) {
      await removeState(id, force ?? false);
      fs.rmSync(path.join(opts.exitDir, id), { force: true });
      fs.rmSync(path.join(socketDir, id), { force: true });
    },

    async state(id) {
      const r = await runRuntime(opts, ["state", id]);
      if (r.exitCode !== 0) {
        if (isNotExistMessage(r.stderr)) return undefined;
        throw runtimeFailure(opts, "state", id, r);
      }
      const s = JSON.parse(r.stdout) as { status?: string; pid?: number };
      const status = s.status as RuntimeStatus;
      if (!["created", "running", "stopped", "paused"].includes(status)) {
        throw new Error(`${opts.handler} state container "${id}": unknown status "${s.status}"`);
      }
      return { status, pid: s.pid ?? 0 };
    },

    async exitInfo(id, dir) {
      return readExitInfo(opts.exitDir, id, dir);
    },

    waitExit(id, dir, signal) {
      return waitForExit(opts.exitDir, id, dir, signal);
    },

    async execSync(id, dir, process, timeoutMs, maxOutputBytes) {
      checkId(id);
      return execSync(opts, id, dir, process, timeoutMs, maxOutputBytes);
    },

    execInteractive(id, dir, process, io, signal, connectSeqpacket) {
      checkId(id);
      return process.tty ? execTty(opts, id, dir, process, io, signal, connectSeqpacket) : execStream(opts, id, dir, process, io, signal);
    },

    attach(id, dir, io, signal, connectSeqpacket, tty) {
      checkId(id);
      return attachContainer(opts, id, dir, io, signal, connectSeqpacket, tty);
    },

    async update(id, resources) {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-update-"));
      try {
        const file = path.join(tmp, "resources.json");
        fs.writeFileSync(file, JSON.stringify(resources));
        const r = await runRuntime(opts, ["update", "--resources", file, id]);
        if (r.exitCode === 0) return;
        if (isNotExistMessage(r.stderr)) throw new NotFoundError(`container "${id}" not found`);
        throw runtimeFailure(opts, "update", id, r);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
  return runtime;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}
