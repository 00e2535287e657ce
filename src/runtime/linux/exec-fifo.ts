/**
 * Starting a created runc container without a `runc start` process.
 *
 * After `runc create`, the container's init waits in `open(<state dir>/exec.fifo,
 * O_WRONLY)`; all `runc start` does once it has loaded the state is to open that fifo for
 * reading, read the byte init writes, and remove the fifo (runc then reports the
 * container running, since it counts one with an exec.fifo as created). Doing those three
 * steps here saves starting a Go program per container start, a few milliseconds of
 * every pod start (bench/pods.ts). The caller falls back to `runc start` whenever the
 * fifo is not there.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Reads init's byte if it is there; false for none yet (EOF before init opened its end, or EAGAIN). */
function readByte(fd: number): boolean {
  try {
    return fs.readSync(fd, Buffer.alloc(1), 0, 1, null) > 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EAGAIN") return false;
    throw err;
  }
}

/** How long to wait for init's byte once the fifo is open; init writes it at once. */
const START_TIMEOUT_MS = 10_000;

export type FifoStart = "started" | "no-fifo";

/**
 * Starts the container whose runc state dir is `stateDir` and whose init is `pid`.
 * Resolves "no-fifo" when there is no exec fifo (not runc's layout, or not a created
 * container): nothing was done. Throws when init is gone before it could be started.
 */
export async function startThroughExecFifo(stateDir: string, pid: number, isAlive: (pid: number) => boolean): Promise<FifoStart> {
  const fifo = path.join(stateDir, "exec.fifo");
  let st: fs.Stats;
  try {
    st = fs.lstatSync(fifo);
  } catch {
    return "no-fifo";
  }
  if (!st.isFIFO()) return "no-fifo";
  // Non-blocking: a blocking open would hang the JS thread if init died before its own open.
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const until = Date.now() + START_TIMEOUT_MS;
    while (!readByte(fd)) {
      // Nothing yet: init has not opened its end (its open completes once ours is made), or
      // has not written. A process that is gone may still have written the byte first and
      // then run a command that ended at once: look once more before calling it dead.
      if (!isAlive(pid)) {
        if (readByte(fd)) break;
        throw new Error(`the container's process ${pid} exited before it was started`);
      }
      if (Date.now() > until) throw new Error(`the container's process ${pid} did not take the start signal within ${START_TIMEOUT_MS} ms`);
      await Bun.sleep(1);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(fifo, { force: true });
  return "started";
}
