/**
 * Port-forward over WebSocket (`v4.channel.k8s.io`, or its base64 form), as the kubelet
 * serves it: one forwarded connection per requested port, on channels 2i (data) and 2i+1
 * (error); the server's first message on each channel is the port as two little-endian
 * bytes. The connection closes when every port's connection has ended.
 */
import { describeError } from "../../errors.ts";
import { BytePipe } from "../byte-pipe.ts";
import { CLOSE } from "../websocket/ws-frame.ts";
import type { WsConnection } from "../websocket/ws-connection.ts";
import { channelSink, unframe } from "../remotecommand/ws-remote-command.ts";
import { type PortDialer, splice } from "./splice.ts";

export const WS_PORT_FORWARD_PROTOCOLS = ["v4.channel.k8s.io", "v4.base64.channel.k8s.io", ""];

/** The ports a WebSocket port-forward asks for in its query (`port=80&port=443` or `ports=80,443`). */
export function queryPorts(query: URLSearchParams): number[] {
  const words = [...query.getAll("port"), ...query.getAll("ports")].flatMap((v) => v.split(","));
  return words.map((w) => {
    if (!/^\d{1,5}$/.test(w) || Number(w) < 1 || Number(w) > 65535) throw new Error(`port ${JSON.stringify(w)} is not a port from 1 to 65535`);
    return Number(w);
  });
}

type Log = { debug(...a: unknown[]): void };

/** Serves one WebSocket port-forward until every port's connection ended or the client left. */
export async function serveWsPortForward(ws: WsConnection, ports: readonly number[], dial: PortDialer, podId: string, log: Log): Promise<void> {
  const base64 = ws.protocol.includes("base64");
  const inputs = ports.map(() => new BytePipe());
  const abort = new AbortController();
  ws.start(async (m) => {
    if (m.data.length === 0) return;
    let frame;
    try {
      frame = unframe(m, base64);
    } catch (err) {
      ws.fail(CLOSE.protocolError, (err as Error).message);
      return;
    }
    if (frame.channel < 0 || frame.channel >= ports.length * 2) {
      ws.fail(CLOSE.protocolError, `channel ${frame.channel} does not exist`);
      return;
    }
    // Only data channels (even) carry input; the error channels are the server's.
    if (frame.channel % 2 === 0) await inputs[frame.channel / 2]!.push(frame.data);
  });
  void ws.closed.then(() => {
    abort.abort();
    for (const p of inputs) p.error(new Error("client disconnected"));
  });
  const forwards = ports.map(async (port, i) => {
    const data = channelSink(ws, 2 * i, base64);
    const error = channelSink(ws, 2 * i + 1, base64);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    await data.write(prefix);
    await error.write(prefix);
    try {
      const conn = await dial(port);
      await splice({ readable: inputs[i]!.readable, sink: data }, conn, abort.signal);
    } catch (err) {
      const msg = `error forwarding port ${port} to pod ${podId}, uid : ${describeError(err)}`;
      log.debug(`port-forward: ${msg}`);
      await error.write(Buffer.from(msg)).catch(() => {});
    }
  });
  await Promise.allSettled(forwards);
  ws.close(CLOSE.normal);
  await ws.closed;
}
