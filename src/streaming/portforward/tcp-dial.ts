/**
 * Dials a TCP port on a pod's loopback from inside its network namespace. Bun cannot move
 * a whole process into a namespace, but a socket belongs to the namespace of the thread
 * that creates it: the JS thread enters the pod's namespace, `Bun.connect` to a numeric
 * address creates its socket synchronously there (verified on Bun 1.4.4: node:net's
 * connect defers the socket and would land on the host), and the thread returns at once.
 * 127.0.0.1 first, then ::1, as containerd tries them.
 */
import type { DialedConn } from "./splice.ts";

type BunSock = Awaited<ReturnType<typeof Bun.connect>>;

/** Runs a synchronous function in the pod's network namespace (Platform.inNetworkNamespace), or on the host for host-network pods. */
export type InNamespace = <T>(fn: () => T) => T;

/** A Bun socket as a DialedConn: reads paused while the consumer is behind, writes wait for drain. */
function connect(inNs: InNamespace, hostname: string, port: number): Promise<DialedConn> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let sock: BunSock | undefined;
  let drained: (() => void) | undefined;
  let closed = false;
  let readEnded = false;
  const endRead = () => {
    if (!readEnded) controller.close();
    readEnded = true;
  };
  const readable = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => sock?.resume(),
      cancel: () => {
        sock?.end();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }),
  );
  const wake = () => {
    drained?.();
    drained = undefined;
  };
  const opened = inNs(() =>
    Bun.connect({
      hostname,
      port,
      allowHalfOpen: true,
      socket: {
        data(s, d) {
          if (readEnded) return;
          controller.enqueue(d.slice());
          if ((controller.desiredSize ?? 0) <= 0) s.pause();
        },
        end: endRead,
        close() {
          endRead();
          closed = true;
          wake();
        },
        drain: wake,
        error() {},
      },
    }),
  );
  return opened.then((s) => {
    sock = s;
    return {
      readable,
      async write(chunk) {
        for (let off = 0; off < chunk.length; ) {
          if (closed) throw new Error("connection closed by the pod");
          const n = s.write(chunk.subarray(off));
          if (n > 0) off += n;
          else if (n < 0) throw new Error("connection closed by the pod");
          else await new Promise<void>((resolve) => (drained = resolve));
        }
      },
      async end() {
        s.shutdown(true);
      },
      close() {
        closed = true;
        endRead();
        wake();
        s.terminate();
      },
    };
  });
}

/** Dials `localhost:port` as the pod sees it. @throws Error naming both attempts */
export async function dialPodPort(inNs: InNamespace, port: number, where: string): Promise<DialedConn> {
  try {
    return await connect(inNs, "127.0.0.1", port);
  } catch (v4) {
    try {
      return await connect(inNs, "::1", port);
    } catch (v6) {
      throw new Error(`failed to connect to localhost:${port} inside ${where}: IPv4: ${connectError(v4)} IPv6: ${connectError(v6)}`);
    }
  }
}

/** Bun's connect errors say "Failed to connect"; the errno name says why. */
function connectError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? `connect: ${code === "ECONNREFUSED" ? "connection refused" : code}` : (err as Error).message;
}
