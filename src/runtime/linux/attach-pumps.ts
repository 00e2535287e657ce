/** The client-to-conmon halves of an attach: stdin into the attach socket, sizes into the control fifo. */
import type { TerminalSize } from "../process-io.ts";
import type { AttachSocket } from "./attach-socket.ts";

/**
 * Copies the client's stdin into the socket; its end closes the process's stdin, unless
 * `tty`: a terminal's end of input is Ctrl-D in the data, and conmon would close the pty
 * master itself (its stdin and its output), losing output still on its way.
 */
export async function pumpStdin(stdin: ReadableStream<Uint8Array> | undefined, sock: AttachSocket, tty: boolean): Promise<void> {
  if (!stdin) return;
  try {
    for await (const chunk of stdin) await sock.write(chunk);
    if (!tty) sock.closeWrite();
  } catch {
    // the client left, or the process ended: nothing more to send
  }
}

/** Applies every size the client sends until its resize stream ends. */
export async function pumpResize(sizes: AsyncIterator<TerminalSize> | undefined, apply: (s: TerminalSize) => void, first?: Promise<IteratorResult<TerminalSize>>): Promise<void> {
  if (!sizes) return;
  for (let r = await (first ?? sizes.next()); !r.done; r = await sizes.next()) {
    if (r.value.width > 0 && r.value.height > 0) apply(r.value);
  }
}
