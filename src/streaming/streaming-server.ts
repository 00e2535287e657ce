/**
 * The streaming server behind Exec, Attach and PortForward, laid out as the kubelet's
 * streaming library lays it out (containerd and CRI-O serve it): `/exec/{token}`,
 * `/attach/{token}`, `/portforward/{token}`, GET or POST, where the token, handed out once
 * by the RPC, stands for the stored request. The URL carries nothing else: the options
 * are the RPC's. Each connection is one HTTP/1.1 request that is upgraded to SPDY/3.1
 * (`Upgrade: SPDY/3.1`, what the kubelet proxies) or WebSocket; unknown, used or expired
 * tokens get 404. A connection with no traffic for `idleTimeoutMs` is dropped.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { Duplex } from "node:stream";
import { describeError } from "../errors.ts";
import { HttpHeadError, type RequestHead, header, headerHas, parseRequestHead, readHead, responseHead, writeErrorResponse } from "./http-head.ts";
import { RequestCache } from "./request-cache.ts";
import type { CreateSpdySession } from "./spdy-session.ts";
import { ACCEPTED_HEADER, PROTOCOL_HEADER, ProtocolMismatchError, negotiateStreamProtocol } from "./stream-protocol.ts";
import type { StreamingBackend, StreamingRequest } from "./streaming-types.ts";
import { serveConnection } from "./serve-connection.ts";
import { acceptUpgrade, isWebSocketRequest, offeredProtocols, pickProtocol } from "./websocket/ws-handshake.ts";
import { WsConnection } from "./websocket/ws-connection.ts";
import { SPDY_REMOTE_COMMAND_PROTOCOLS } from "./remotecommand/remote-command.ts";
import { WS_REMOTE_COMMAND_PROTOCOLS } from "./remotecommand/ws-remote-command.ts";
import { PORT_FORWARD_PROTOCOL } from "./portforward/spdy-port-forward.ts";
import { WS_PORT_FORWARD_PROTOCOLS } from "./portforward/ws-port-forward.ts";

export const SPDY_TUNNEL_PORT_FORWARD = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/** How long a client may take to send its request head. */
const HEAD_TIMEOUT_MS = 10_000;

type Log = { info(...a: unknown[]): void; warn(...a: unknown[]): void; debug(...a: unknown[]): void };

export type StreamingServerOptions = {
  /** `host:port`; port 0 picks a free one. */
  address: string;
  tls?: { cert: string; key: string };
  idleTimeoutMs: number;
  tokenTtlMs: number;
  backend: StreamingBackend;
  /** The SPDY/3.1 session; without one, SPDY upgrades are refused (501). */
  createSpdySession?: CreateSpdySession;
  log: Log;
};

export interface StreamingServer {
  /** The base URL (`http://127.0.0.1:PORT`), once listening. */
  readonly baseUrl: string;
  /** Stores the request and returns its single-use URL. @throws UnavailableError when too many wait */
  urlFor(req: StreamingRequest): string;
  /** Connections being served now. */
  readonly connections: number;
  stop(): Promise<void>;
}

const PATH = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]{1,64})$/;

export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(address);
  if (!m) throw new Error(`streaming.address ${JSON.stringify(address)} is not host:port`);
  return { host: m[1]!.replace(/^\[|\]$/g, "") || "0.0.0.0", port: Number(m[2]) };
}

export async function startStreamingServer(opts: StreamingServerOptions): Promise<StreamingServer> {
  const cache = new RequestCache<StreamingRequest>(opts.tokenTtlMs);
  const sockets = new Set<Duplex>();
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", (err) => opts.log.debug(`streaming connection: ${describeError(err)}`));
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs, () => {
        opts.log.debug(`streaming connection idle for ${opts.idleTimeoutMs} ms: closed`);
        socket.destroy();
      });
    }
    void handle(socket).catch((err) => {
      opts.log.debug(`streaming connection: ${describeError(err)}`);
      socket.destroy();
    });
  };
  const server = opts.tls ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onConnection) : net.createServer(onConnection);

  async function handle(socket: net.Socket): Promise<void> {
    let req: RequestHead;
    let rest: Buffer;
    try {
      const head = await readHead(socket, HEAD_TIMEOUT_MS);
      rest = head.rest;
      req = parseRequestHead(head.text);
    } catch (err) {
      const status = err instanceof HttpHeadError ? err.status : 400;
      if (status > 0 && !socket.destroyed) writeErrorResponse(socket, status, (err as Error).message);
      else socket.destroy();
      return;
    }
    const m = PATH.exec(req.path);
    if (!m) return writeErrorResponse(socket, 404, "404 page not found");
    if (req.method !== "GET" && req.method !== "POST") return writeErrorResponse(socket, 405, `method ${req.method} not allowed`);
    const stored = cache.consume(m[2]!);
    if (!stored || stored.kind !== m[1]) return writeErrorResponse(socket, 404, "404 page not found");
    try {
      if (isWebSocketRequest(req.headers)) await upgradeWebSocket(socket, req, rest, stored);
      else if (header(req.headers, "upgrade").toLowerCase() === "spdy/3.1" && headerHas(req.headers, "connection", "upgrade")) await upgradeSpdy(socket, req, rest, stored);
      else writeErrorResponse(socket, 400, "unable to upgrade: expected Upgrade: SPDY/3.1 or Upgrade: websocket");
    } catch (err) {
      if (err instanceof ProtocolMismatchError) return writeErrorResponse(socket, 403, err.message, err.serverProtocols.map((p) => [ACCEPTED_HEADER, p]));
      if (err instanceof HttpHeadError) return writeErrorResponse(socket, err.status, err.message);
      throw err;
    }
  }

  async function upgradeWebSocket(socket: net.Socket, req: RequestHead, rest: Buffer, stored: StreamingRequest): Promise<void> {
    const supported = stored.kind === "portforward" ? [...WS_PORT_FORWARD_PROTOCOLS, SPDY_TUNNEL_PORT_FORWARD] : WS_REMOTE_COMMAND_PROTOCOLS;
    const offered = offeredProtocols(req.headers);
    const protocol = pickProtocol(offered, supported);
    if (protocol === undefined) throw new HttpHeadError(`requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${supported.join(" ")}]`, 400);
    if (protocol === SPDY_TUNNEL_PORT_FORWARD && !opts.createSpdySession) throw new HttpHeadError("SPDY is not available in this build", 501);
    socket.write(acceptUpgrade(req, protocol));
    opts.log.debug(`streaming ${stored.kind}: websocket ${JSON.stringify(protocol)}`);
    const ws = new WsConnection(socket, { role: "server", protocol, head: rest });
    await serveConnection({ kind: "websocket", ws, query: req.query }, stored, opts);
  }

  async function upgradeSpdy(socket: net.Socket, req: RequestHead, rest: Buffer, stored: StreamingRequest): Promise<void> {
    const protocol = negotiateStreamProtocol(req.headers, stored.kind === "portforward" ? [PORT_FORWARD_PROTOCOL] : SPDY_REMOTE_COMMAND_PROTOCOLS);
    if (!opts.createSpdySession) throw new HttpHeadError("SPDY is not available in this build", 501);
    socket.write(responseHead(101, [["Connection", "Upgrade"], ["Upgrade", "SPDY/3.1"], [PROTOCOL_HEADER, protocol]]));
    opts.log.debug(`streaming ${stored.kind}: SPDY/3.1 ${JSON.stringify(protocol)}`);
    const session = opts.createSpdySession(socket, "server", {}, rest);
    // Once the session is over (cleanly, or on a protocol error) the connection goes too.
    void session.closed.then((err) => {
      if (err) opts.log.debug(`streaming SPDY session: ${describeError(err)}`);
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
    await serveConnection({ kind: "spdy", session, protocol }, stored, opts);
  }

  const { host, port } = splitHostPort(opts.address);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const urlHost = bound.family === "IPv6" || bound.address.includes(":") ? `[${bound.address}]` : bound.address;
  const baseUrl = `${opts.tls ? "https" : "http"}://${urlHost}:${bound.port}`;
  opts.log.info(`streaming server on ${baseUrl}`);
  return {
    baseUrl,
    urlFor(r) {
      return `${baseUrl}/${r.kind}/${cache.insert(r)}`;
    },
    get connections() {
      return sockets.size;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
