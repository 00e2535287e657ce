/** Opening a WebSocket or a SPDY/3.1 session to a streaming URL, client side. */
import { header } from "../http-head.ts";
import type { SpdySession } from "../spdy-session.ts";
import { spdySessionFactory } from "../spdy-factory.ts";
import { PROTOCOL_HEADER } from "../stream-protocol.ts";
import { WsConnection } from "../websocket/ws-connection.ts";
import { checkUpgradeResponse, upgradeHeaders } from "../websocket/ws-handshake.ts";
import { dialUpgrade, refusal } from "./dial-upgrade.ts";

export type Transport = "spdy" | "websocket";

export async function dialWebSocket(url: string, protocols: string[]): Promise<WsConnection> {
  const { headers, key } = upgradeHeaders(protocols);
  const up = await dialUpgrade(url, headers);
  if (up.res.status !== 101) throw refusal("websocket upgrade refused", up);
  const protocol = checkUpgradeResponse(up.res, key, protocols);
  return new WsConnection(up.socket, { role: "client", protocol, head: up.rest });
}

export async function dialSpdy(url: string, protocols: string[]): Promise<{ session: SpdySession; protocol: string }> {
  const create = spdySessionFactory();
  if (!create) throw new Error("the SPDY transport is not in this build: use --transport websocket");
  const up = await dialUpgrade(url, [
    ["Connection", "Upgrade"],
    ["Upgrade", "SPDY/3.1"],
    ...protocols.map((p): [string, string] => [PROTOCOL_HEADER, p]),
  ]);
  if (up.res.status !== 101) throw refusal("SPDY upgrade refused", up);
  const protocol = header(up.res.headers, PROTOCOL_HEADER.toLowerCase());
  if (!protocols.includes(protocol)) {
    up.socket.destroy();
    throw new Error(`SPDY upgrade: the server chose protocol ${JSON.stringify(protocol)}, which was not offered`);
  }
  return { session: create(up.socket, "client", {}, up.rest), protocol };
}
