/**
 * Just enough HTTP/1.1 for the streaming server and its clients: every exec, attach and
 * port-forward connection is one request that is either refused with a status line or
 * upgraded (101) to SPDY/3.1 or WebSocket, after which the socket carries that protocol.
 * So this reads one head (request or response line and headers, bounded in size and
 * time), hands back the bytes read past it, and writes short replies. It is no general
 * HTTP server: no keep-alive, no bodies.
 */
import type { Duplex } from "node:stream";

/** Heads larger than this are refused (the kubelet's proxied heads are well under 4 KiB). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** Header values by lowercase name, in the order received (a name may repeat). */
export type Headers = Map<string, string[]>;

export type RequestHead = { method: string; target: string; path: string; query: URLSearchParams; headers: Headers };
export type ResponseHead = { status: number; reason: string; headers: Headers };

export class HttpHeadError extends Error {
  constructor(
    message: string,
    /** The status to answer with, when there is still someone to answer. */
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The first value of a header, or "". */
export function header(h: Headers, name: string): string {
  return h.get(name)?.[0] ?? "";
}

/** Every comma-separated token of every value of a header, trimmed, empties dropped. */
export function headerTokens(h: Headers, name: string): string[] {
  return (h.get(name) ?? []).flatMap((v) => v.split(",")).map((t) => t.trim()).filter((t) => t !== "");
}

/** Whether a header lists `token` (case-insensitive), as `Connection: keep-alive, Upgrade`. */
export function headerHas(h: Headers, name: string, token: string): boolean {
  return headerTokens(h, name).some((t) => t.toLowerCase() === token.toLowerCase());
}

function parseHeaderLines(lines: string[]): Headers {
  const headers: Headers = new Map();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) throw new HttpHeadError(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  return headers;
}

/** Parses a request head (without the blank line). Pure. */
export function parseRequestHead(text: string): RequestHead {
  const [first = "", ...rest] = text.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(first);
  if (!m) throw new HttpHeadError(`malformed request line ${JSON.stringify(first.slice(0, 80))}`);
  const target = m[2] as string;
  let url: URL;
  try {
    url = new URL(target, "http://streaming.invalid");
  } catch {
    throw new HttpHeadError(`malformed request target ${JSON.stringify(target.slice(0, 80))}`);
  }
  return { method: m[1] as string, target, path: url.pathname, query: url.searchParams, headers: parseHeaderLines(rest) };
}

/** Parses a response head (without the blank line). Pure. */
export function parseResponseHead(text: string): ResponseHead {
  const [first = "", ...rest] = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(first);
  if (!m) throw new HttpHeadError(`malformed status line ${JSON.stringify(first.slice(0, 80))}`);
  return { status: Number(m[1]), reason: m[2] ?? "", headers: parseHeaderLines(rest) };
}

/**
 * Reads from `socket` up to the blank line that ends a head. Resolves with the head's text
 * and whatever came after it (the first bytes of the upgraded protocol). The socket is
 * left paused with no data listener, ready for whoever takes it over.
 */
export function readHead(socket: Duplex, timeoutMs: number): Promise<{ text: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: Error | undefined, value?: { text: string; rest: Buffer }) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onEnd);
      socket.off("close", onEnd);
      socket.pause();
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        if (end > MAX_HEAD_BYTES) return done(new HttpHeadError(`request head larger than ${MAX_HEAD_BYTES} bytes`, 431));
        return done(undefined, { text: buf.subarray(0, end).toString("latin1"), rest: buf.subarray(end + 4) });
      }
      if (buf.length > MAX_HEAD_BYTES) done(new HttpHeadError(`request head larger than ${MAX_HEAD_BYTES} bytes`, 431));
    };
    const onEnd = (err?: unknown) => done(err instanceof Error ? err : new HttpHeadError("connection closed before the request head ended", 0));
    const timer = setTimeout(() => done(new HttpHeadError(`no complete request head within ${timeoutMs} ms`, 408)), timeoutMs);
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onEnd);
    socket.on("close", onEnd);
    socket.resume();
  });
}

const REASONS: Record<number, string> = {
  101: "Switching Protocols",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** A response head with the given headers, ready to write. Pure. */
export function responseHead(status: number, headers: [string, string][] = []): string {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}`, ...headers.map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Answers with a plain-text error and closes the connection. */
export function writeErrorResponse(socket: Duplex, status: number, message: string, headers: [string, string][] = []): void {
  const body = Buffer.from(`${message}\n`);
  const head = responseHead(status, [
    ...headers,
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Length", String(body.length)],
    ["Connection", "close"],
  ]);
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
}
