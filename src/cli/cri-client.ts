import * as net from "node:net";
import { type Client, createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import { Images as SkiffImages } from "../gen/skiff/v1/skiff_pb.ts";
import { type Endpoint, parseEndpoint } from "../server/endpoint.ts";

/** skiff's own CRI client: speaks gRPC to any CRI endpoint (skiff, containerd, CRI-O). */
export type CriClient = {
  runtime: Client<typeof RuntimeService>;
  image: Client<typeof ImageService>;
  /** skiff's own API (archives, pull progress); other runtimes answer Unimplemented. */
  skiff: Client<typeof SkiffImages>;
  endpoint: Endpoint;
  /** Closes the HTTP/2 connection so the process can exit. */
  close(): void;
};

export type CriClientOptions = {
  /** Per-call deadline in milliseconds; the CLI's --timeout. */
  timeoutMs?: number;
};

/**
 * Connects to a CRI endpoint. The HTTP/2 `:authority` is "localhost", as grpc-go sends
 * for unix sockets; servers reset streams whose authority is a socket path.
 */
export function createCriClient(endpoint: string, opts: CriClientOptions = {}): CriClient {
  const ep = parseEndpoint(endpoint);
  const sessionManager = new Http2SessionManager("http://localhost", undefined, {
    createConnection: () => net.connect(ep.path),
  });
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    defaultTimeoutMs: opts.timeoutMs,
    readMaxBytes: 64 * 1024 * 1024,
    sessionManager,
  });
  return {
    runtime: createClient(RuntimeService, transport),
    image: createClient(ImageService, transport),
    skiff: createClient(SkiffImages, transport),
    endpoint: ep,
    close: () => sessionManager.abort(),
  };
}
