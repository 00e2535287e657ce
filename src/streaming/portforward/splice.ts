/**
 * Copies bytes both ways between a client's port-forward stream and the TCP connection
 * dialed in the pod, with backpressure each way (a side that does not read holds the
 * other's reads back, never skiff's memory). A client that ends its side (FIN) half-closes
 * the TCP connection, so a request-then-response exchange works; once the pod ends its
 * side the client gets 1 s to finish, then both are closed, as containerd does.
 */
import type { ByteSink } from "../../runtime/process-io.ts";

/** A TCP connection dialed for a port-forward. */
export interface DialedConn {
  readonly readable: ReadableStream<Uint8Array>;
  write(chunk: Uint8Array): Promise<void>;
  /** Half-close: FIN to the pod's listener. */
  end(): Promise<void>;
  /** Drops the connection. */
  close(): void;
}

/** Dials `port` inside a pod; rejects with a message for the client's error stream. */
export type PortDialer = (port: number) => Promise<DialedConn>;

const AFTER_POD_EOF_MS = 1000;

/** Runs until both directions are done, `signal` aborts, or one side fails. */
export async function splice(client: { readable: ReadableStream<Uint8Array>; sink: ByteSink }, conn: DialedConn, signal: AbortSignal): Promise<void> {
  const stop = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  const fromClient = client.readable.getReader();
  const fromPod = conn.readable.getReader();
  const up = (async () => {
    for (let r = await fromClient.read(); !r.done; r = await fromClient.read()) await conn.write(r.value);
    await conn.end();
  })();
  const down = (async () => {
    for (let r = await fromPod.read(); !r.done; r = await fromPod.read()) await client.sink.write(r.value);
    await client.sink.end();
  })();
  try {
    const first = await Promise.race([up.then(() => "up" as const), down.then(() => "down" as const), stop.then(() => "stop" as const)]);
    if (first === "up") await Promise.race([down, stop]);
    else if (first === "down") await Promise.race([up, stop, Bun.sleep(AFTER_POD_EOF_MS)]);
  } finally {
    conn.close();
    void fromClient.cancel().catch(() => {});
    void fromPod.cancel().catch(() => {});
    // The copies end with the close (or with the session); their errors are its echo.
    up.catch(() => {});
    down.catch(() => {});
  }
}
