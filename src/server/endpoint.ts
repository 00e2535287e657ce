import { InvalidArgumentError } from "../errors.ts";

/** Where a CRI server listens or a client connects: a unix socket or a Windows named pipe. */
export type Endpoint = { kind: "unix"; path: string } | { kind: "npipe"; path: string };

/**
 * Parses the endpoint forms kubelet and crictl accept: `unix:///run/x.sock`, a bare
 * absolute path, and `npipe:////./pipe/name` (also `npipe://./pipe/name`).
 * For a pipe, `path` is the Win32 form `\\.\pipe\name` that node:net listens on.
 */
export function parseEndpoint(raw: string, field = "endpoint"): Endpoint {
  const value = raw.trim();
  if (value.startsWith("unix://")) {
    const path = value.slice("unix://".length);
    if (!path.startsWith("/")) throw new InvalidArgumentError(field, `unix socket path must be absolute, got "${raw}"`);
    return { kind: "unix", path };
  }
  if (value.startsWith("npipe://")) {
    const rest = value.slice("npipe://".length).replace(/^\/+/, "").replaceAll("/", "\\");
    const m = /^\.\\pipe\\(.+)$/.exec(rest);
    if (!m) throw new InvalidArgumentError(field, `named pipe must look like npipe:////./pipe/<name>, got "${raw}"`);
    return { kind: "npipe", path: `\\\\.\\pipe\\${m[1]}` };
  }
  if (value.startsWith("/")) return { kind: "unix", path: value };
  if (/^\\\\\.\\pipe\\.+/.test(value)) return { kind: "npipe", path: value };
  throw new InvalidArgumentError(field, `unsupported endpoint "${raw}" (want unix:///path or npipe:////./pipe/name)`);
}

/** The URL form of an endpoint, for messages and `Status` info. */
export function formatEndpoint(e: Endpoint): string {
  if (e.kind === "unix") return `unix://${e.path}`;
  return `npipe:////./pipe/${e.path.replace(/^\\\\\.\\pipe\\/, "")}`;
}
