/**
 * The remotecommand protocol (exec and attach) independent of its transport: a client's
 * connection gives up to five streams (stdin, stdout, stderr, error, resize); the server
 * runs the process against them, writes a status on the error stream and closes. SPDY and
 * WebSocket each build a `RemoteCommandConn` (spdy-remote-command.ts, ws-remote-command.ts).
 */
import type { ProcessIo } from "../../runtime/process-io.ts";
import { describeError } from "../../errors.ts";
import { type Status, internalErrorStatus } from "./status.ts";

/** Which streams a request asked for (from the CRI request, not from the URL). */
export type StreamOptions = { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean };

/** Names of the remotecommand protocol versions, newest first. */
export const REMOTE_COMMAND_V5 = "v5.channel.k8s.io";
export const REMOTE_COMMAND_V4 = "v4.channel.k8s.io";
/** Over SPDY the kubelet's library offers v4 down to v1 (v5 exists for WebSocket only). */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

/** The version number of a remotecommand protocol name ("channel.k8s.io" and "" are 1). */
export function protocolVersion(name: string): number {
  const m = /^v(\d)\./.exec(name);
  return m ? Number(m[1]) : 1;
}

export type RemoteCommandConn = {
  io: ProcessIo;
  /** Writes the final status on the error stream (as the version wants) and ends it. */
  finish(status: Status): Promise<void>;
  /** Ends the connection. */
  close(): void;
  /** Resolves when the connection is gone (the client left, or close() was called). */
  gone: Promise<void>;
};

type Log = { debug(...a: unknown[]): void; warn(...a: unknown[]): void };

/**
 * Runs `run` against the connection's streams. If the client goes away first, `signal`
 * aborts, and the back end must then kill what it started and return.
 */
export async function serveRemoteCommand(conn: RemoteCommandConn, run: (io: ProcessIo, signal: AbortSignal) => Promise<Status>, log: Log): Promise<void> {
  const abort = new AbortController();
  let gone = false;
  let ran = false;
  void conn.gone.then(() => {
    gone = true;
    if (!ran) abort.abort(new Error("client disconnected"));
  });
  let status: Status;
  try {
    status = await run(conn.io, abort.signal);
  } catch (err) {
    log.warn(`streaming: ${describeError(err)}`);
    status = internalErrorStatus(describeError(err));
  } finally {
    ran = true;
  }
  // Output the back end left open ends here, so the client stops waiting for it.
  await Promise.allSettled([conn.io.stdout?.end(), conn.io.stderr?.end()]);
  try {
    if (!gone) await conn.finish(status);
  } catch (err) {
    log.debug(`streaming: writing the status failed: ${describeError(err)}`);
  } finally {
    conn.close();
  }
}
