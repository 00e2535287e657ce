/**
 * Port-forward over SPDY (`portforward.k8s.io`), as kubectl speaks it: for every
 * connection it forwards, the client opens an error stream and a data stream that share a
 * `requestid` header and name the pod's port in a `port` header. Once both are there, the
 * server dials the port inside the pod and splices the data stream to it; a failure is
 * written as text on the error stream. One session carries any number of such pairs, for
 * any of the ports, at once. A stream with a bad header is refused on its own; the
 * session goes on.
 */
import { RST, type SpdySession, type SpdyStream } from "../spdy-session.ts";
import { describeError } from "../../errors.ts";
import { type PortDialer, splice } from "./splice.ts";

export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
/** How long the second stream of a pair may take (the kubelet's stream creation timeout). */
export const PAIR_TIMEOUT_MS = 30_000;

type Pair = { data?: SpdyStream; error?: SpdyStream; timer: ReturnType<typeof setTimeout> };
type Log = { debug(...a: unknown[]): void };

/** The port a stream names. @throws Error for a missing or bad header */
export function streamPort(headers: Record<string, string>): number {
  const raw = headers.port ?? "";
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) throw new Error(`"port" header ${JSON.stringify(raw)} is not a port from 1 to 65535`);
  return Number(raw);
}

/**
 * The pair a stream belongs to. Clients older than request ids had error and data streams
 * with consecutive odd ids; the kubelet pairs those by id the same way.
 */
export function requestIdOf(s: SpdyStream): string {
  const id = s.headers.requestid;
  if (id) return id;
  return String(s.headers.streamtype === "data" ? s.id - 2 : s.id);
}

/** Serves port-forward pairs on `session` until it ends. */
export async function serveSpdyPortForward(session: SpdySession, dial: PortDialer, podId: string, log: Log): Promise<void> {
  const pairs = new Map<string, Pair>();
  const abort = new AbortController();
  session.onStream((s) => {
    const type = s.headers.streamtype;
    let port: number;
    try {
      port = streamPort(s.headers);
      if (type !== "data" && type !== "error") throw new Error(`"streamtype" header ${JSON.stringify(type ?? "")} is neither data nor error`);
    } catch (err) {
      log.debug(`port-forward to pod "${podId}": stream ${s.id} refused: ${(err as Error).message}`);
      s.reset(RST.refusedStream);
      return;
    }
    const id = requestIdOf(s);
    let pair = pairs.get(id);
    if (!pair) {
      pair = { timer: setTimeout(() => timedOut(id), PAIR_TIMEOUT_MS) };
      pairs.set(id, pair);
    }
    if (pair[type]) {
      s.reset(RST.protocolError);
      return;
    }
    s.reply();
    pair[type] = s;
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(id);
      void forward(pair.data, pair.error, port);
    }
  });

  const timedOut = (id: string) => {
    const p = pairs.get(id);
    pairs.delete(id);
    if (!p) return;
    const msg = `timed out waiting for the ${p.data ? "error" : "data"} stream of request ${id}`;
    void p.error?.write(Buffer.from(msg)).finally(() => p.error?.reset(RST.cancel));
    p.data?.reset(RST.cancel);
  };

  const forward = async (data: SpdyStream, error: SpdyStream, port: number) => {
    try {
      const conn = await dial(port);
      await splice({ readable: data.readable, sink: { write: (c) => data.write(c), end: () => data.end() } }, conn, abort.signal);
      await error.end();
    } catch (err) {
      const msg = `error forwarding port ${port} to pod ${podId}, uid : ${describeError(err)}`;
      log.debug(`port-forward: ${msg}`);
      await error.write(Buffer.from(msg)).catch(() => {});
      // A failed pair is reset so the client can open a new one (the kubelet does this).
      data.reset(RST.cancel);
      error.reset(RST.cancel);
    }
  };

  await session.closed;
  abort.abort();
  for (const p of pairs.values()) clearTimeout(p.timer);
}
