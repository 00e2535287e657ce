/**
 * Attach to a container's main process through its conmon: output from the attach socket
 * (conmon copies the process's output to every attached client as well as to the log),
 * stdin into it, terminal sizes through the container's control fifo. Leaving (the client
 * goes, or stops) only closes our socket: the container runs on. Whether the container's
 * stdin closes when the client's does is conmon's `--leave-stdin-open` (CRI `stdin_once`).
 */
import * as path from "node:path";
import type { ProcessIo } from "../process-io.ts";
import { DEFAULT_SOCKET_DIR } from "./conmon-args.ts";
import { requestResize } from "./conmon-ctl.ts";
import type { OciRuntimeOptions } from "./runtime-types.ts";
import { pumpResize, pumpStdin } from "./attach-pumps.ts";
import { openAttachSocket } from "./attach-socket.ts";

export async function attachContainer(
  opts: OciRuntimeOptions,
  id: string,
  dir: string,
  io: ProcessIo,
  signal: AbortSignal,
  connectSeqpacket: (path: string) => number,
  tty: boolean,
): Promise<void> {
  const socketPath = path.join(opts.socketDir ?? DEFAULT_SOCKET_DIR, id, "attach");
  let fd: number;
  try {
    fd = connectSeqpacket(socketPath);
  } catch (err) {
    throw new Error(`attach to container "${id}": its monitor's attach socket does not answer`, { cause: err });
  }
  const sock = await openAttachSocket(fd, { stdout: io.stdout, stderr: io.stderr });
  const leave = () => sock.close();
  signal.addEventListener("abort", leave, { once: true });
  void pumpStdin(io.stdin, sock, tty);
  void pumpResize(io.resize?.[Symbol.asyncIterator](), (s) => requestResize(dir, s.height, s.width));
  try {
    await sock.closed;
  } finally {
    signal.removeEventListener("abort", leave);
    await Promise.allSettled([io.stdout?.end(), io.stderr?.end()]);
  }
}
