/**
 * A client of conmon's attach socket (`<socket dir>/<id>/attach`, SOCK_SEQPACKET), the way
 * CRI-O and podman attach. Checked against conmon 2.1.6 (src/ctr_stdio.c, conn_sock.c):
 * - each packet from conmon is one read of the container's output, its first byte the
 *   pipe it came from: 2 stdout, 3 stderr (a tty's output is all on 2);
 * - each packet to conmon is stdin; conmon reads at most 32 KiB per packet and drops the
 *   rest of a longer one, so stdin goes in packets of at most that size;
 * - shutting down our write side makes conmon close the container's stdin (unless it
 *   runs with --leave-stdin-open); conmon closes the socket when the process exits.
 * The fd comes from `Platform.connectSeqpacket`; Bun's socket layer reads it one packet
 * per read, so packet boundaries survive (verified on Bun 1.4.4).
 */
import type { ByteSink } from "../process-io.ts";

export const STDOUT_PIPE = 2;
export const STDERR_PIPE = 3;
/** conmon's CONN_SOCK_BUF_SIZE: the most it reads of one packet. */
export const MAX_STDIN_PACKET = 32 * 1024;

export interface AttachSocket {
  /** Sends stdin bytes; resolves once the socket took them all. */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends stdin (shutdown of our write side). */
  closeWrite(): void;
  close(): void;
  /** Resolves when conmon closed the socket (the process ended) or we did. */
  readonly closed: Promise<void>;
}

type BunSock = Awaited<ReturnType<typeof Bun.connect>>;

/**
 * Wraps a connected attach-socket fd. Output goes to `stdout`/`stderr` by pipe byte;
 * while a sink is busy the socket stops reading, so conmon (and the process) wait.
 */
export async function openAttachSocket(fd: number, out: { stdout?: ByteSink; stderr?: ByteSink }): Promise<AttachSocket> {
  const closed = Promise.withResolvers<void>();
  let drained: (() => void) | undefined;
  let pending = Promise.resolve();
  let backlog = 0;
  const deliver = (sock: BunSock, packet: Uint8Array) => {
    if (packet.length < 1) return;
    const sink = packet[0] === STDERR_PIPE ? out.stderr : out.stdout;
    if (!sink) return;
    // Copied: Bun reuses the buffer it hands to `data`.
    const data = packet.slice(1);
    backlog++;
    if (backlog === 1) {
      pending = pending.then(() => sink.write(data)).catch(() => {});
    } else {
      sock.pause();
      pending = pending.then(() => sink.write(data)).catch(() => {});
    }
    void pending.then(() => {
      backlog--;
      if (backlog === 0) sock.resume();
    });
  };
  // Bun.connect takes an fd (FdSocketOptions in bun-types), though its overloads omit it.
  const sock: BunSock = await Bun.connect({
    fd,
    allowHalfOpen: true,
    socket: {
      data: (s: BunSock, d: Uint8Array) => deliver(s, d),
      drain: () => {
        drained?.();
        drained = undefined;
      },
      close: () => {
        drained?.();
        void pending.then(() => closed.resolve());
      },
      error: () => {},
    },
  } as unknown as Parameters<typeof Bun.connect>[0]);
  let open = true;
  void closed.promise.then(() => (open = false));
  return {
    async write(chunk) {
      for (let off = 0; off < chunk.length && open; ) {
        const packet = chunk.subarray(off, off + MAX_STDIN_PACKET);
        const n = sock.write(packet);
        if (n > 0) {
          off += n;
          continue;
        }
        if (n < 0) throw new Error("attach socket closed");
        await new Promise<void>((resolve) => (drained = resolve));
      }
    },
    closeWrite: () => sock.shutdown(true),
    close: () => sock.end(),
    closed: closed.promise,
  };
}
