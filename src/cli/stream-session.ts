/** Runs an exec or attach session at a streaming URL with this process's stdio. */
import type { Transport } from "../streaming/client/dial-transports.ts";
import { runRemoteCommand } from "../streaming/client/remote-command-client.ts";
import { nodeSink, webReadable } from "../streaming/client/socket-conn.ts";
import type { StreamOptions } from "../streaming/remotecommand/remote-command.ts";
import { UsageError } from "./client-args.ts";
import { rawMode, terminalSizes } from "./terminal.ts";

export const TRANSPORTS = ["spdy", "websocket"] as const;

export function parseTransport(value: string | undefined): Transport {
  const t = value ?? "spdy";
  if (!(TRANSPORTS as readonly string[]).includes(t)) throw new UsageError(`--transport "${t}": expected spdy or websocket`);
  return t as Transport;
}

/** Resolves with the remote exit code. */
export async function runStreamSession(url: string, transport: Transport, opts: StreamOptions): Promise<number> {
  const restore = opts.tty ? rawMode() : () => {};
  const term = opts.tty ? terminalSizes() : undefined;
  try {
    return await runRemoteCommand(url, transport, opts, {
      stdin: opts.stdin ? webReadable(process.stdin) : undefined,
      stdout: opts.stdout ? nodeSink(process.stdout, true) : undefined,
      stderr: opts.stderr ? nodeSink(process.stderr, true) : undefined,
      resize: term?.sizes,
    });
  } finally {
    term?.stop();
    restore();
    // Written output may still sit in the pipe's buffer; the caller exits the process next.
    await Promise.all([process.stdout, process.stderr].map((w) => new Promise<void>((resolve) => w.write("", () => resolve()))));
    // stdin may still be open (the remote process ended first): let the process exit.
    process.stdin.pause();
    process.stdin.unref?.();
  }
}
