/**
 * One upgraded connection, served: exec and attach speak remotecommand over the SPDY
 * session or the WebSocket; port-forward speaks `portforward.k8s.io` over SPDY (also
 * tunnelled in a WebSocket) or channels over a WebSocket.
 */
import type { ProcessIo } from "../runtime/process-io.ts";
import { protocolVersion, serveRemoteCommand, type RemoteCommandConn } from "./remotecommand/remote-command.ts";
import { acceptSpdyRemoteCommand } from "./remotecommand/spdy-remote-command.ts";
import { exitCodeStatus, successStatus, type Status } from "./remotecommand/status.ts";
import { wsRemoteCommand } from "./remotecommand/ws-remote-command.ts";
import { serveSpdyPortForward } from "./portforward/spdy-port-forward.ts";
import { queryPorts, serveWsPortForward } from "./portforward/ws-port-forward.ts";
import type { CreateSpdySession, SpdySession } from "./spdy-session.ts";
import type { StreamingBackend, StreamingRequest } from "./streaming-types.ts";
import { CLOSE } from "./websocket/ws-frame.ts";
import type { WsConnection } from "./websocket/ws-connection.ts";
import { wsDuplex } from "./websocket/ws-duplex.ts";
import { describeError } from "../errors.ts";

export type Transport = { kind: "spdy"; session: SpdySession; protocol: string } | { kind: "websocket"; ws: WsConnection; query: URLSearchParams };

type Log = { warn(...a: unknown[]): void; debug(...a: unknown[]): void };
type Deps = { backend: StreamingBackend; createSpdySession?: CreateSpdySession; log: Log };

export async function serveConnection(t: Transport, req: StreamingRequest, deps: Deps): Promise<void> {
  const { backend, log } = deps;
  if (req.kind === "portforward") {
    const dial = (port: number) => backend.dial(req.podSandboxId, port);
    if (t.kind === "spdy") return serveSpdyPortForward(t.session, dial, req.podSandboxId, log);
    if (t.ws.protocol.startsWith("SPDY/3.1+")) {
      const session = deps.createSpdySession!(wsDuplex(t.ws), "server");
      return serveSpdyPortForward(session, dial, req.podSandboxId, log);
    }
    let ports: number[];
    try {
      ports = req.ports.length > 0 ? req.ports : queryPorts(t.query);
      if (ports.length === 0) throw new Error('no port to forward: the request names none and the URL has no "port" parameter');
    } catch (err) {
      t.ws.fail(CLOSE.protocolError, (err as Error).message);
      return;
    }
    return serveWsPortForward(t.ws, ports, dial, req.podSandboxId, log);
  }

  const opts = { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr && !req.tty, tty: req.tty };
  let conn: RemoteCommandConn;
  if (t.kind === "websocket") {
    conn = wsRemoteCommand(t.ws, opts);
  } else {
    try {
      conn = await acceptSpdyRemoteCommand(t.session, opts, protocolVersion(t.protocol));
    } catch (err) {
      log.debug(`streaming ${req.kind}: ${describeError(err)}`);
      await t.session.close({ force: true });
      return;
    }
  }
  const run =
    req.kind === "exec"
      ? async (io: ProcessIo, signal: AbortSignal): Promise<Status> => {
          const code = await backend.exec(req, io, signal);
          return code === 0 ? successStatus() : exitCodeStatus(code, req.cmd);
        }
      : async (io: ProcessIo, signal: AbortSignal): Promise<Status> => {
          await backend.attach(req, io, signal);
          return successStatus();
        };
  await serveRemoteCommand(conn, run, log);
}
