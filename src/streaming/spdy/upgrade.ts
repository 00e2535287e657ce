/**
 * The HTTP/1.1 upgrade that starts every Kubernetes SPDY connection, as client-go and
 * apimachinery's httpstream do it: the client sends `Connection: Upgrade`,
 * `Upgrade: SPDY/3.1` and one `X-Stream-Protocol-Version` per subprotocol it speaks, in
 * its order of preference; the server picks the first of those it supports and answers
 * `101 Switching Protocols` naming it (or 403 listing its own in
 * `X-Accepted-Stream-Protocol-Versions`). Pure text helpers, shared by both sides.
 */

export const SPDY_UPGRADE = "SPDY/3.1";
export const PROTOCOL_HEADER = "X-Stream-Protocol-Version";
export const ACCEPTED_PROTOCOLS_HEADER = "X-Accepted-Stream-Protocol-Versions";

export type SpdyUpgradeRequest = {
  /** client-go uses POST for exec, attach and port-forward; containerd accepts GET too. */
  method?: "GET" | "POST";
  /** Path and query, e.g. `/exec/Zx1Lr3aP`. */
  path: string;
  /** The Host header: `127.0.0.1:34567`. */
  host: string;
  /** Subprotocols in order of preference, e.g. `["v4.channel.k8s.io"]`. */
  protocols: string[];
  headers?: Record<string, string>;
};

function noBreaks(what: string, s: string): string {
  if (/[\r\n]/.test(s)) throw new Error(`${what} contains a line break`);
  return s;
}

/** The request head (ends with the blank line). */
export function spdyUpgradeRequest(r: SpdyUpgradeRequest): string {
  const method = r.method ?? "POST";
  const lines = [`${method} ${noBreaks("path", r.path)} HTTP/1.1`, `Host: ${noBreaks("host", r.host)}`];
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${noBreaks("header name", k)}: ${noBreaks("header value", v)}`);
  for (const p of r.protocols) lines.push(`${PROTOCOL_HEADER}: ${noBreaks("protocol", p)}`);
  lines.push("Connection: Upgrade", `Upgrade: ${SPDY_UPGRADE}`);
  if (method === "POST") lines.push("Content-Length: 0");
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/**
 * The subprotocol to speak: the first `offered` (the client's header values, in order;
 * a value may list several, comma-separated) that the server `supported`; undefined if
 * none is.
 */
export function negotiate(offered: string[], supported: readonly string[]): string | undefined {
  const tokens = offered.flatMap((v) => v.split(",")).map((t) => t.trim()).filter((t) => t !== "");
  return tokens.find((t) => supported.includes(t));
}

/** The 101 answer (ends with the blank line); names `chosen` when there is one. */
export function spdyUpgradeResponse(chosen?: string): string {
  const lines = ["HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", `Upgrade: ${SPDY_UPGRADE}`];
  if (chosen) lines.push(`${PROTOCOL_HEADER}: ${noBreaks("protocol", chosen)}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** The 403 answer when no subprotocol matches, listing the server's, with a text body. */
export function spdyNegotiationFailedResponse(supported: readonly string[], message: string): string {
  const body = `${message}\n`;
  const lines = ["HTTP/1.1 403 Forbidden", "Content-Type: text/plain; charset=utf-8", `Content-Length: ${Buffer.byteLength(body)}`, "Connection: close"];
  for (const p of supported) lines.push(`${ACCEPTED_PROTOCOLS_HEADER}: ${p}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

export type UpgradeResponse = {
  status: number;
  reason: string;
  /** Values by lowercase name, in order. */
  headers: Map<string, string[]>;
  /** Whether this is a SPDY/3.1 upgrade, checked as client-go checks it. */
  upgraded: boolean;
  /** The subprotocol the server chose, if it named one. */
  protocol: string | undefined;
};

/** Parses a response head (status line and header lines, without the blank line). */
export function parseUpgradeResponse(head: string): UpgradeResponse {
  const [statusLine = "", ...lines] = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const first = (n: string) => (headers.get(n)?.[0] ?? "").toLowerCase();
  const status = Number(m[1]);
  return {
    status,
    reason: m[2] ?? "",
    headers,
    upgraded: status === 101 && first("connection").includes("upgrade") && first("upgrade").includes(SPDY_UPGRADE.toLowerCase()),
    protocol: headers.get(PROTOCOL_HEADER.toLowerCase())?.[0],
  };
}

/**
 * Finds the end of an HTTP head in `bytes`: the head's text (without the blank line) and
 * the bytes after it (the first SPDY frames, if the peer was quick). Undefined until the
 * blank line has arrived.
 */
export function splitHttpHead(bytes: Uint8Array): { head: string; rest: Uint8Array } | undefined {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return { head: new TextDecoder("latin1").decode(bytes.subarray(0, i)), rest: bytes.subarray(i + 4) };
    }
  }
  return undefined;
}
