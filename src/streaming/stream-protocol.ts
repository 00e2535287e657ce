/**
 * The Kubernetes layer over the SPDY upgrade (k8s.io/apimachinery httpstream): the client
 * lists the subprotocols it speaks in `X-Stream-Protocol-Version` headers (one per value,
 * or comma-separated); the server takes the first one it also speaks and names it in the
 * 101 answer. No header is a 400; no protocol in common is a 403 that lists the server's
 * own in `X-Accepted-Stream-Protocol-Versions`. Pure.
 */
import { type Headers, HttpHeadError, headerTokens } from "./http-head.ts";
import { ACCEPTED_PROTOCOLS_HEADER, PROTOCOL_HEADER, negotiate } from "./spdy/index.ts";

export { PROTOCOL_HEADER };
export const ACCEPTED_HEADER = ACCEPTED_PROTOCOLS_HEADER;

export class ProtocolMismatchError extends HttpHeadError {
  constructor(
    message: string,
    readonly serverProtocols: readonly string[],
  ) {
    super(message, 403);
  }
}

/** The protocol to speak. @throws HttpHeadError (400) or ProtocolMismatchError (403) */
export function negotiateStreamProtocol(h: Headers, serverProtocols: readonly string[]): string {
  if (!h.has(PROTOCOL_HEADER.toLowerCase())) throw new HttpHeadError(`unable to upgrade: header ${PROTOCOL_HEADER} is missing`, 400);
  const offered = headerTokens(h, PROTOCOL_HEADER.toLowerCase());
  if (offered.length === 0) throw new HttpHeadError(`unable to upgrade: header ${PROTOCOL_HEADER} names no protocol`, 400);
  const chosen = negotiate(offered, serverProtocols);
  if (chosen === undefined) {
    throw new ProtocolMismatchError(`unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server accepts [${serverProtocols.join(" ")}]`, serverProtocols);
  }
  return chosen;
}
