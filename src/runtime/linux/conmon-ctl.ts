/**
 * conmon's control fifo (`<bundle>/ctl`): one line per request, `<kind> <height> <width>`,
 * where kind 1 resizes the terminal and kind 2 makes conmon reopen the container's log
 * file. The fifo is opened without blocking, so a conmon that is gone (no reader) is an
 * error at once instead of a hang.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { FailedPreconditionError } from "../../errors.ts";

const RESIZE = 1;
const REOPEN_LOG = 2;

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
