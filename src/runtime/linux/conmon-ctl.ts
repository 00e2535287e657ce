/**
 * conmon's control fifo (`<bundle>/ctl`): one line per request, `<kind> <height> <width>`,
 * where kind 1 resizes the terminal and kind 2 makes conmon reopen the container's log
 * file. The fifo is opened without blocking, so a conmon that is gone (no reader) is an
 * error at once instead of a hang.
 *
 * conmon acts on the request in its own time: it opens `<log>.tmp` and renames it over
 * the log path (conmon 2.1 src/ctr_logging.c), so the new file appears whole, and it is
 * a new inode whether or not the old file was renamed away first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DeadlineExceededError, FailedPreconditionError } from "../../errors.ts";
import { readPid } from "../read-or.ts";

const RESIZE = 1;
const REOPEN_LOG = 2;
/** How long ReopenContainerLog waits for conmon to put the new log file in place. */
export const REOPEN_LOG_TIMEOUT_MS = 5_000;

/** The line that resizes the terminal (conmon applies it to the pty master). Pure. */
export function resizeRequest(height: number, width: number): string {
  return `${RESIZE} ${height} ${width}\n`;
}

/**
 * Resizes the terminal of the process whose conmon has its control fifo in `dir`. A
 * conmon that is gone (no reader) is ignored: the session is ending anyway.
 */
export function requestResize(dir: string, height: number, width: number): void {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, "ctl"), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    fs.writeSync(fd, resizeRequest(height, width));
  } catch {
    // conmon went away between the open and the write
  } finally {
    fs.closeSync(fd);
  }
}

/** The line that asks conmon to reopen its log file. Pure. */
export function reopenLogRequest(): string {
  return `${REOPEN_LOG} 0 0\n`;
}

/** Asks the conmon of the container in `dir` to reopen its log file. */
export function requestLogReopen(id: string, dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, "ctl"), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new FailedPreconditionError(`container "${id}" has no log monitor to reopen its log`, { cause: err });
  }
  try {
    fs.writeSync(fd, reopenLogRequest());
  } finally {
    fs.closeSync(fd);
  }
}

/** `dev:ino` of the file at `p`, or undefined when there is none. */
function fileIdentity(p: string): string | undefined {
  try {
    const st = fs.statSync(p, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Asks conmon to reopen the log and returns once the new file is at `logPath`: a file is
 * there, and it is not the one that was there before the request (the kubelet usually
 * renamed that one away, so there was none). Fails with FailedPrecondition when conmon is
 * gone, and with DeadlineExceeded when the file has not appeared after `timeoutMs`.
 */
export async function reopenLogAndWait(id: string, dir: string, logPath: string, timeoutMs = REOPEN_LOG_TIMEOUT_MS): Promise<void> {
  const before = fileIdentity(logPath);
  requestLogReopen(id, dir);
  const until = Date.now() + timeoutMs;
  let pause = 1;
  for (;;) {
    const now = fileIdentity(logPath);
    if (now !== undefined && now !== before) return;
    if (!alive(readPid(path.join(dir, "conmon.pid")))) {
      throw new FailedPreconditionError(`container "${id}" has no log monitor to reopen its log`);
    }
    if (Date.now() >= until) {
      throw new DeadlineExceededError(`log "${logPath}" of container "${id}" was not reopened within ${timeoutMs} ms`);
    }
    await Bun.sleep(pause);
    pause = Math.min(pause * 2, 20);
  }
}
