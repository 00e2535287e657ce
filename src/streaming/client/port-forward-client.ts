/**
 * The client side of port-forward, as `kubectl port-forward` runs it: a local listener
 * per forwarded port; every connection to it becomes, over SPDY, an error and a data
 * stream pair (`port`, `requestid` headers) on one shared session, or, over WebSocket,
 * a connection of its own on a fresh URL (a WebSocket carries one connection per port,
 * and a URL serves once). Errors the server reports are printed and close that connection.
 */
import * as net from "node:net";
import { splice, type DialedConn } from "../portforward/splice.ts";
import { PORT_FORWARD_PROTOCOL } from "../portforward/spdy-port-forward.ts";
import { prefixed } from "../remotecommand/ws-remote-command.ts";
import type { SpdySession, SpdyStream } from "../spdy-session.ts";
import { BytePipe } from "../byte-pipe.ts";
import { type Transport, dialSpdy, dialWebSocket } from "./dial-transports.ts";
import { socketHalves } from "./socket-conn.ts";

export type Forward = { address: string; local: number; remote: number };

export type PortForwarding = {
  /** The local ports listened on (a requested 0 becomes the port the OS chose). */
  ports: { local: number; remote: number }[];
  /** Resolves when forwarding stops (the session ended, or stop()). */
  done: Promise<void>;
  stop(): void;
};

type Log = (line: string) => void;

/** Starts listening. `nextUrl` returns a URL for a connection to `ports` (SPDY asks once, for all). */
export async function startPortForward(transport: Transport, nextUrl: (ports: number[]) => Promise<string>, forwards: Forward[], log: Log): Promise<PortForwarding> {
  const stop = new AbortController();
  let session: SpdySession | undefined;
  if (transport === "spdy") {
    session = (await dialSpdy(await nextUrl(forwards.map((f) => f.remote)), [PORT_FORWARD_PROTOCOL])).session;
    void session.closed.then(() => stop.abort());
  }
  let requestId = 0;
  const servers: net.Server[] = [];
  const ports: PortForwarding["ports"] = [];
  for (const f of forwards) {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      const id = requestId++;
      const run = session ? viaSpdy(session, f.remote, id, socket, stop.signal) : viaWebSocket(nextUrl, f.remote, socket, stop.signal);
      run.catch((err) => log(`error forwarding ${ports.find((p) => p.remote === f.remote)?.local} -> ${f.remote}: ${(err as Error).message}`)).finally(() => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(f.local, f.address, () => resolve());
    });
    servers.push(server);
    ports.push({ local: (server.address() as net.AddressInfo).port, remote: f.remote });
  }
  const done = new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
  void done.then(() => {
    for (const s of servers) s.close();
    void session?.close({ force: true });
  });
  return { ports, done, stop: () => stop.abort() };
}

/** A SPDY data stream as the far end of the splice. */
function streamConn(s: SpdyStream): DialedConn {
  return { readable: s.readable, write: (c) => s.write(c), end: () => s.end(), close: () => {} };
}

async function viaSpdy(session: SpdySession, port: number, id: number, socket: net.Socket, signal: AbortSignal): Promise<void> {
  const headers = { port: String(port), requestid: String(id) };
  const error = await session.open({ ...headers, streamtype: "error" });
  // Nothing goes to the server on the error stream: close our half at once, as kubectl does.
  await error.end();
  const data = await session.open({ ...headers, streamtype: "data" });
  // The server writes why it failed, then resets the pair: keep what came before the reset.
  const parts: Uint8Array[] = [];
  const failure = (async () => {
    for await (const c of error.readable) parts.push(c);
  })()
    .catch(() => {})
    .then(() => Buffer.concat(parts).toString("utf8"));
  try {
    await splice(socketHalves(socket), streamConn(data), signal);
  } catch {
    // reset by the server: its error stream says why
  }
  const msg = await Promise.race([failure, Bun.sleep(1000).then(() => "")]);
  if (msg) throw new Error(msg);
}

async function viaWebSocket(nextUrl: (ports: number[]) => Promise<string>, port: number, socket: net.Socket, signal: AbortSignal): Promise<void> {
  const ws = await dialWebSocket(await nextUrl([port]), ["v4.channel.k8s.io"]);
  const fromPod = new BytePipe();
  const errors: Buffer[] = [];
  const seenPrefix = [false, false];
  ws.start(async (m) => {
    const ch = m.data[0];
    if (ch !== 0 && ch !== 1) return;
    let data = m.data.subarray(1);
    // Each channel starts with the port, two bytes little-endian.
    if (!seenPrefix[ch]) {
      seenPrefix[ch] = true;
      data = data.subarray(2);
    }
    if (ch === 0) await fromPod.push(data);
    else errors.push(Buffer.from(data));
  });
  void ws.closed.then(() => fromPod.end());
  const conn: DialedConn = {
    readable: fromPod.readable,
    write: (c) => ws.send(prefixed(0, c)),
    // v4 has no half-close: the connection stays until the pod side ends it.
    end: async () => {},
    close: () => ws.close(),
  };
  await splice(socketHalves(socket), conn, signal).catch(() => {});
  await ws.closed;
  const msg = Buffer.concat(errors).toString("utf8");
  if (msg) throw new Error(msg);
}
