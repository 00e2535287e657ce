/**
 * An interactive exec with a tty: the runtime makes the pty inside the container (so the
 * process has a controlling terminal, job control and Ctrl-C), which needs someone to take
 * the pty master over `--console-socket` with SCM_RIGHTS; Bun cannot receive fds, conmon
 * can. So conmon runs the exec (`--exec-attach`, as podman does), holds the master, serves
 * its output and takes stdin on its attach socket, and resizes the pty on request through
 * its control fifo. The first size, when the client sends one at once (kubectl does), goes
 * into the process spec, so even a program that reads its size first thing sees it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ProcessIo, TerminalSize } from "../process-io.ts";
import { DEFAULT_SOCKET_DIR, conmonExecAttachArgs } from "./conmon-args.ts";
import { requestResize } from "./conmon-ctl.ts";
import { execProcessSpec, type ExecProcess } from "./exec-process-spec.ts";
import { containerProcessOf } from "./exec-stream.ts";
import type { OciRuntimeOptions } from "./runtime-types.ts";
import { runtimeErrorMessage } from "./runtime-error.ts";
import { spawnConmon } from "./spawn-conmon.ts";
import { pumpStdin, pumpResize } from "./attach-pumps.ts";
import { openAttachSocket } from "./attach-socket.ts";
import { processIdentity } from "./process-identity.ts";
import { readPid } from "../read-or.ts";

/** How long to wait for the client's first terminal size before starting without one. */
const FIRST_SIZE_WAIT_MS = 250;
const START_TIMEOUT_MS = 60_000;

/**
 * The first size from `resize`, if one comes within `ms`. When none came in time, the
 * read still pending is handed back, so that size is not lost but applied when it comes.
 */
async function firstSize(it: AsyncIterator<TerminalSize> | undefined, ms: number): Promise<{ size?: TerminalSize; pending?: Promise<IteratorResult<TerminalSize>> }> {
  if (!it) return {};
  const next = it.next();
  const r = await Promise.race([next, Bun.sleep(ms).then(() => undefined)]);
  if (!r) return { pending: next };
  return r.done ? {} : { size: r.value };
}

export async function execTty(
  opts: OciRuntimeOptions,
  id: string,
  dir: string,
  proc: ExecProcess,
  io: ProcessIo,
  signal: AbortSignal,
  connectSeqpacket: (path: string) => number,
): Promise<number> {
  const socketDir = opts.socketDir ?? DEFAULT_SOCKET_DIR;
  const execDir = fs.mkdtempSync(path.join(dir, "exec-"));
  const execId = `${id.slice(0, 32)}-${path.basename(execDir).slice(5)}`;
  const resize = io.resize?.[Symbol.asyncIterator]();
  let conmon: Awaited<ReturnType<typeof spawnConmon>> | undefined;
  try {
    const { size, pending } = await firstSize(resize, FIRST_SIZE_WAIT_MS);
    const spec = execProcessSpec(containerProcessOf(id, dir), { ...proc, tty: true });
    if (size && size.width > 0 && size.height > 0) spec.consoleSize = { height: size.height, width: size.width };
    fs.writeFileSync(path.join(execDir, "process.json"), JSON.stringify(spec));
    fs.mkdirSync(socketDir, { recursive: true });
    conmon = await spawnConmon(opts, conmonExecAttachArgs(opts, { id, execDir, execId, tty: true, stdin: io.stdin !== undefined }), execDir, true);
    const attach = conmon.attach!;
    // First write: conmon forks and opens its attach socket; second: it starts the runtime.
    fs.writeSync(attach.startFd, "0");
    const ready = await attach.ready.next(START_TIMEOUT_MS);
    if (!ready) throw new Error(`${opts.handler} exec in container "${id}": ${conmon.stderrText() || "conmon did not open its attach socket"}`);
    const sock = await openAttachSocket(connectSeqpacket(path.join(socketDir, execId, "attach")), { stdout: io.stdout });
    fs.writeSync(attach.startFd, "0");
    const started = await conmon.sync.next(START_TIMEOUT_MS);
    if (!started || started.data < 0) {
      sock.close();
      const why = started?.message ? runtimeErrorMessage(started.message, started.message) : conmon.stderrText();
      throw new Error(`${opts.handler} exec in container "${id}": ${why || "conmon reported no exec pid"}`);
    }
    const kill = () => killQuietly(started.data);
    signal.addEventListener("abort", kill, { once: true });
    void pumpStdin(io.stdin, sock, true);
    void pumpResize(resize, (s) => requestResize(execDir, s.height, s.width), pending);
    try {
      const ended = await conmon.sync.next(0);
      // conmon closes the socket once it has sent the last output.
      await Promise.race([sock.closed, Bun.sleep(2000)]);
      sock.close();
      await io.stdout?.end().catch(() => {});
      if (!ended) throw new Error(`${opts.handler} exec in container "${id}": conmon ended without reporting the exit code`);
      return ended.data;
    } finally {
      signal.removeEventListener("abort", kill);
    }
  } finally {
    if (conmon) {
      await conmon.sync.close();
      await conmon.attach?.ready.close();
      closeQuietly(conmon.attach?.startFd);
    }
    const conmonPid = readPid(path.join(execDir, "conmon.pid"));
    if (conmonPid) await waitGone(conmonPid, 5000);
    fs.rmSync(execDir, { recursive: true, force: true });
    fs.rmSync(path.join(socketDir, execId), { force: true });
  }
}

async function waitGone(pid: number, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until && processIdentity(pid)) await Bun.sleep(10);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    fs.closeSync(fd);
  } catch {
    // closed already
  }
}
