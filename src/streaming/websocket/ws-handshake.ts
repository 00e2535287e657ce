/**
 * The WebSocket opening handshake (RFC 6455 section 4): the server's check of an upgrade
 * request and its 101 answer, and the client's request and its check of that answer.
 * Subprotocols are picked the way the kubelet's wsstream does: the first one the client
 * lists that the server supports; a client that lists none gets "" when "" is supported.
 */
import { createHash, randomBytes } from "node:crypto";
import { type Headers, HttpHeadError, type RequestHead, type ResponseHead, header, headerHas, headerTokens, responseHead } from "../http-head.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (section 4.2.2). */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** Whether a request asks for a WebSocket upgrade (`Upgrade: websocket`, `Connection: upgrade`). */
export function isWebSocketRequest(h: Headers): boolean {
  return header(h, "upgrade").toLowerCase() === "websocket" && headerHas(h, "connection", "upgrade");
}

/** The subprotocols a request offers, in its order of preference. */
export function offeredProtocols(h: Headers): string[] {
  return headerTokens(h, "sec-websocket-protocol");
}

/** The first offered protocol the server supports; undefined when none fits. */
export function pickProtocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  if (offered.length === 0) return supported.includes("") ? "" : undefined;
  return offered.find((p) => p !== "" && supported.includes(p));
}

/**
 * Checks a server-side upgrade request and builds the 101 answer for `protocol`.
 * @throws HttpHeadError with the status to answer
 */
export function acceptUpgrade(req: RequestHead, protocol: string): string {
  if (req.method !== "GET") throw new HttpHeadError(`a WebSocket upgrade must be a GET, not ${req.method}`, 400);
  const version = header(req.headers, "sec-websocket-version");
  if (version !== "13") throw new HttpHeadError(`unsupported Sec-WebSocket-Version ${JSON.stringify(version)}; this server speaks 13`, 426);
  const key = header(req.headers, "sec-websocket-key");
  if (Buffer.from(key, "base64").length !== 16) throw new HttpHeadError("Sec-WebSocket-Key must be 16 bytes in base64", 400);
  const headers: [string, string][] = [
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Accept", acceptKey(key)],
  ];
  if (protocol !== "") headers.push(["Sec-WebSocket-Protocol", protocol]);
  return responseHead(101, headers);
}

/** A client's upgrade headers (after the request line and Host); `key` checks the answer. */
export function upgradeHeaders(protocols: readonly string[]): { headers: [string, string][]; key: string } {
  const key = randomBytes(16).toString("base64");
  const headers: [string, string][] = [
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", key],
    ["Sec-WebSocket-Version", "13"],
  ];
  if (protocols.length > 0) headers.push(["Sec-WebSocket-Protocol", protocols.join(", ")]);
  return { headers, key };
}

/** Checks the server's answer to `upgradeRequest`; returns the chosen subprotocol. */
export function checkUpgradeResponse(res: ResponseHead, key: string, protocols: readonly string[]): string {
  if (res.status !== 101) throw new Error(`websocket upgrade refused: ${res.status} ${res.reason}`);
  if (header(res.headers, "upgrade").toLowerCase() !== "websocket") throw new Error("websocket upgrade: the answer lacks Upgrade: websocket");
  if (header(res.headers, "sec-websocket-accept") !== acceptKey(key)) throw new Error("websocket upgrade: wrong Sec-WebSocket-Accept");
  const chosen = header(res.headers, "sec-websocket-protocol");
  if (chosen !== "" && !protocols.includes(chosen)) throw new Error(`websocket upgrade: the server chose ${JSON.stringify(chosen)}, which was not offered`);
  return chosen;
}
