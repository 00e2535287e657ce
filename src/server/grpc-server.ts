import type { Logger } from "../logger.ts";
import type { Endpoint } from "./endpoint.ts";
import { type CallLimits, DEFAULT_CALL_LIMITS, limitCalls } from "./call-limits.ts";
import { bindSocketPrivately, prepareSocketPath } from "./socket-file.ts";
import { grpcCalls } from "./grpc-calls.ts";
import { H2Connection } from "./h2/connection.ts";
import { ErrorCode, FrameType, frame, wordsFrame } from "./h2/frames.ts";
import { type Accept, type Listener, listenNet, listenUnix } from "./h2/listen.ts";
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
/** SETTINGS_MAX_HEADER_LIST_SIZE: gRPC metadata is small; a request with more gets HTTP 431. */
const MAX_HEADER_LIST = 64 * 1024;
/** How much of a request body a client may send ahead of its handler, per stream and per connection. */
const RECEIVE_WINDOW = 1024 * 1024;

export type ListenOptions = { mode: number; group: string };

/** A gRPC (h2c) server over a unix socket or named pipe, with graceful shutdown. */
export type GrpcServer = {
  listen(endpoint: Endpoint, opts: ListenOptions): Promise<void>;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
  /** Number of open HTTP/2 connections (for tests and shutdown logs). */
  readonly sessionCount: number;
};

/**
 * Builds the server: skiff's own HTTP/2 (h2/) under skiff's own gRPC (grpc-calls.ts).
 * Only the gRPC protocol is served: the kubelet (grpc-go) and crictl speak nothing else,
 * and a smaller surface is less to get wrong.
 */
export function createGrpcServer(opts: GrpcServerOptions): GrpcServer {
  const router = new Router();
  opts.routes(router);
  const calls = grpcCalls(router.routes, opts);
  const limited = limitCalls(calls, opts.limits ?? DEFAULT_CALL_LIMITS, (line) => opts.log.debug(line));
  const connections = new Set<H2Connection>();
  let listener: Listener | undefined;
  let endpoint: Endpoint | undefined;
  let closing = false;
  let allClosed: (() => void) | undefined;

  const accept: Accept = (transport) => {
    // A connection that races shutdown gets no new work.
    if (closing) return undefined;
    if (connections.size >= MAX_CONNECTIONS) {
      opts.log.debug(`refused a connection: ${connections.size} open`);
      // SETTINGS first: a client reads a GOAWAY before it only as a broken handshake.
      transport.write(Buffer.concat([frame(FrameType.SETTINGS, 0, 0), wordsFrame(FrameType.GOAWAY, 0, 0, ErrorCode.ENHANCE_YOUR_CALM)]));
      transport.end();
      return undefined;
    }
    const conn: H2Connection = new H2Connection(transport, {
      maxConcurrentStreams: MAX_STREAMS_PER_CONNECTION,
      maxHeaderListSize: MAX_HEADER_LIST,
      window: RECEIVE_WINDOW,
      onStream: limited.handler,
      onClose: () => {
        connections.delete(conn);
        if (connections.size === 0) allClosed?.();
      },
      // A client that sends garbage or hangs up mid-call must never take the daemon down.
      log: (line) => opts.log.debug(line),
    });
    connections.add(conn);
    return conn;
  };

  return {
    get sessionCount() {
      return connections.size;
    },

    async listen(ep, listenOpts) {
      if (ep.kind === "unix") {
        await prepareSocketPath(ep.path);
        endpoint = ep; // from here on the path is ours to remove at close
        await bindSocketPrivately(ep.path, listenOpts.mode, listenOpts.group, async (p) => {
          listener = listenUnix(p, accept);
        });
      } else {
        listener = await listenNet(ep.path, accept);
        endpoint = ep;
      }
    },

    async close(graceMs) {
      closing = true;
      listener?.stop();
      const drained = new Promise<void>((resolve) => {
        allClosed = resolve;
        if (connections.size === 0) resolve();
      });
      for (const c of connections) c.close(); // GOAWAY: finish open streams, take no new ones
      const timer = setTimeout(() => {
        for (const c of connections) c.destroy();
      }, graceMs);
      await drained;
      clearTimeout(timer);
      limited.stop();
      if (endpoint?.kind === "unix") {
        const { unlink } = await import("node:fs/promises");
        await unlink(endpoint.path).catch(() => {});
      }
    },
  };
}
