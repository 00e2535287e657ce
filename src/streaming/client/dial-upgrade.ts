/**
 * The client half of an upgraded streaming connection: connect to the URL a runtime
 * returned (http or https), send one request head, read the response head. What follows
 * the head is the upgraded protocol. TLS is not verified: like the kubelet, which dials
 * the runtime's streaming URL with verification off, skiff trusts a URL its runtime handed
 * it over the CRI socket, and runtimes serve self-signed certificates.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { Duplex } from "node:stream";
import { type ResponseHead, parseResponseHead, readHead } from "../http-head.ts";

const CONNECT_TIMEOUT_MS = 30_000;

export type Upgraded = { socket: Duplex; res: ResponseHead; rest: Buffer; body?: string };

/** Connects to `url` and sends `GET <path>` with `headers`; resolves with the answer. */
export async function dialUpgrade(url: string, headers: [string, string][]): Promise<Upgraded> {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`streaming URL ${JSON.stringify(url)} is not http or https`);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const socket: net.Socket = await new Promise((resolve, reject) => {
    const s =
      u.protocol === "https:"
        ? tls.connect({ host, port, rejectUnauthorized: false, servername: net.isIP(host) ? undefined : host }, () => resolve(s))
        : net.connect({ host, port }, () => resolve(s));
    s.once("error", reject);
    s.setTimeout(CONNECT_TIMEOUT_MS, () => s.destroy(new Error(`no answer from ${u.host} within ${CONNECT_TIMEOUT_MS} ms`)));
  });
  socket.setNoDelay(true);
  const lines = [`GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, ...headers.map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  const head = await readHead(socket, CONNECT_TIMEOUT_MS);
  socket.setTimeout(0);
  const res = parseResponseHead(head.text);
  if (res.status !== 101) {
    // A refusal carries a short text body: read what came with the head.
    return { socket, res, rest: head.rest, body: head.rest.toString("utf8").trim() };
  }
  return { socket, res, rest: head.rest };
}

/** An Error for a refused upgrade, with the server's own words. */
export function refusal(what: string, up: Upgraded): Error {
  up.socket.destroy();
  return new Error(`${what}: ${up.res.status} ${up.res.reason}${up.body ? `: ${up.body}` : ""}`);
}
