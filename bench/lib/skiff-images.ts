/**
 * A client for skiff's own `skiff.v1.Images` service (served on the CRI socket next to
 * the CRI), used by the pull benchmark to follow a pull's progress (WatchPull). The
 * transport is set up the same way as src/cli/cri-client.ts sets up its own.
 */
import * as net from "node:net";
import { type Client, createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { Images } from "../../src/gen/skiff/v1/skiff_pb.ts";
import { parseEndpoint } from "../../src/server/endpoint.ts";

export type SkiffImagesClient = { images: Client<typeof Images>; close(): void };

export function createSkiffImagesClient(endpoint: string): SkiffImagesClient {
  const ep = parseEndpoint(endpoint);
  // ":authority" must be "localhost" (not the socket path), as for the CRI client.
  const sessionManager = new Http2SessionManager("http://localhost", undefined, {
    createConnection: () => net.connect(ep.path),
  });
  const transport = createGrpcTransport({ baseUrl: "http://localhost", sessionManager });
  return { images: createClient(Images, transport), close: () => sessionManager.abort() };
}
