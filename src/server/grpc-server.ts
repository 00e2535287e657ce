import * as http2 from "node:http2";
import type { Logger } from "../logger.ts";
import type { Endpoint } from "./endpoint.ts";
import { type CallLimits, DEFAULT_CALL_LIMITS, limitCalls } from "./call-limits.ts";
import { bindSocketPrivately, prepareSocketPath } from "./socket-file.ts";
import { grpcCalls } from "./grpc-calls.ts";
import { type Interceptor, Router } from "./rpc.ts";

export type GrpcServerOptions = {
  routes: (router: Router) => void;
  interceptors: Interceptor[];
  /** Largest request message accepted; larger ones get ResourceExhausted. */
  readMaxBytes: number;
  /** Largest response message sent. */
  writeMaxBytes: number;
  log: Logger;
  /** Bounds on calls in flight and unread responses; defaults in call-limits.ts. */
  limits?: CallLimits;
};

/**
 * HTTP/2 streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
 * grpc-go and grpc-js queue calls beyond it; a client that ignores it gets REFUSED_STREAM.
 */
export const MAX_STREAMS_PER_CONNECTION = 256;
/** Connections open at once; one more is closed at once. A kubelet keeps one or two. */
export const MAX_CONNECTIONS = 512;

export type ListenOptions = { mode: number; group: string };

/** A gRPC (h2c) server over a unix socket or named pipe, with graceful shutdown. */
export type GrpcServer = {
  listen(endpoint: Endpoint, opts: ListenOptions): Promise<void>;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
  /** Number of open HTTP/2 sessions (for tests and shutdown logs). */
  readonly sessionCount: number;
};

/**
 * Builds the server. Only the gRPC protocol is enabled: the kubelet (grpc-go) and crictl
 * speak nothing else, and a smaller surface is less to get wrong.
 */
export function createGrpcServer(opts: GrpcServerOptions): GrpcServer {
  const router = new Router();
  opts.routes(router);
  const calls = grpcCalls(router.routes, opts);
  const limited = limitCalls(calls, opts.limits ?? DEFAULT_CALL_LIMITS, (line) => opts.log.debug(line));
  const server = http2.createServer({ settings: { maxConcurrentStreams: MAX_STREAMS_PER_CONNECTION } }, limited.handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  let endpoint: Endpoint | undefined;
  let closing = false;
  let cutOff = false;

  server.on("session", (session) => {
    // A connection that races shutdown gets no new work.
    if (cutOff) return session.destroy();
    if (sessions.size >= MAX_CONNECTIONS) {
      opts.log.debug(`refused a connection: ${sessions.size} open`);
      session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      return session.destroy();
    }
    if (closing) session.close();
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    // A client that sends garbage or hangs up mid-call must never take the daemon down.
    session.on("error", (err) => opts.log.debug(`http2 session error: ${err.message}`));
  });
  server.on("sessionError", (err) => opts.log.debug(`http2 session error: ${err.message}`));
  server.on("error", (err) => opts.log.error(`server error: ${err.message}`));

  return {
    get sessionCount() {
      return sessions.size;
    },

    async listen(ep, listenOpts) {
      const bind = (p: string) =>
        new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(p, () => {
            server.off("error", reject);
            resolve();
          });
        });
      if (ep.kind === "unix") {
        await prepareSocketPath(ep.path);
        endpoint = ep; // from here on the path is ours to remove at close
        await bindSocketPrivately(ep.path, listenOpts.mode, listenOpts.group, bind);
      } else {
        await bind(ep.path);
        endpoint = ep;
      }
    },

    async close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.close(); // GOAWAY: finish open streams, take no new ones
      const timer = setTimeout(() => {
        cutOff = true;
        for (const s of sessions) s.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
      limited.stop();
      if (endpoint?.kind === "unix") {
        const { unlink } = await import("node:fs/promises");
        await unlink(endpoint.path).catch(() => {});
      }
    },
  };
}
