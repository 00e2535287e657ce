/**
 * remotecommand over WebSocket, as the kubelet's wsstream serves it: one message per
 * write, its first byte the channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize), or
 * with `base64.channel.k8s.io` the channel as an ASCII digit and the rest base64 in a text
 * message. `v5.channel.k8s.io` adds the close signal: `[255, channel]` from the client
 * half-closes that channel (how a v5 client says its stdin ended). Any other misuse
 * (a bad close signal, a channel number that does not exist, bad base64) ends the
 * connection with a protocol error.
 */
import { BytePipe, LatestQueue } from "../byte-pipe.ts";
import type { ByteSink, ProcessIo, TerminalSize } from "../../runtime/process-io.ts";
import { CLOSE } from "../websocket/ws-frame.ts";
import type { WsConnection, WsMessage } from "../websocket/ws-connection.ts";
import { type RemoteCommandConn, type StreamOptions, protocolVersion } from "./remote-command.ts";
import { ResizeDecoder } from "./resize-decoder.ts";
import { type Status, encodeStatus } from "./status.ts";

export const WS_REMOTE_COMMAND_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io", ""];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CHANNELS = 5;
const CLOSE_SIGNAL = 255;

export class ChannelProtocolError extends Error {}

/** Writes framed messages for one channel of a channel.k8s.io-style connection. */
export function channelSink(ws: WsConnection, channel: number, base64: boolean): ByteSink {
  return {
    write: (chunk) => (base64 ? ws.send(`${channel}${Buffer.from(chunk).toString("base64")}`, false) : ws.send(prefixed(channel, chunk))),
    end: async () => {},
  };
}

export function prefixed(channel: number, chunk: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(chunk.length + 1);
  out[0] = channel;
  out.set(chunk, 1);
  return out;
}

/** Splits an incoming message into its channel and payload. @throws ChannelProtocolError */
export function unframe(m: WsMessage, base64: boolean): { channel: number; data: Buffer } {
  if (!base64) return { channel: m.data[0]!, data: m.data.subarray(1) };
  const channel = m.data[0]! - 0x30;
  const text = m.data.subarray(1).toString("latin1");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new ChannelProtocolError(`channel ${channel}: invalid base64`);
  return { channel, data: Buffer.from(text, "base64") };
}

/** Builds the streams of an exec/attach over an open WebSocket and starts reading it. */
export function wsRemoteCommand(ws: WsConnection, opts: StreamOptions): RemoteCommandConn {
  const protocol = ws.protocol;
  const version = protocolVersion(protocol);
  const base64 = protocol.includes("base64");
  const closeSignal = protocol === "v5.channel.k8s.io";
  const stdin = opts.stdin ? new BytePipe() : undefined;
  const resize = opts.tty ? new LatestQueue<TerminalSize>() : undefined;
  const decoder = new ResizeDecoder();
  const io: ProcessIo = {
    stdin: stdin?.readable,
    stdout: opts.stdout ? channelSink(ws, STDOUT, base64) : undefined,
    stderr: opts.stderr ? channelSink(ws, STDERR, base64) : undefined,
    resize,
  };
  const fail = (msg: string) => {
    ws.fail(CLOSE.protocolError, msg.slice(0, 100));
  };
  ws.start(async (m) => {
    if (m.data.length === 0) return;
    if (closeSignal && m.data[0] === CLOSE_SIGNAL) {
      if (m.data.length !== 2 || m.data[1]! >= CHANNELS) return fail("a close signal names one channel that exists");
      if (m.data[1] === STDIN) stdin?.end();
      return;
    }
    let frame: { channel: number; data: Buffer };
    try {
      frame = unframe(m, base64);
    } catch (err) {
      return fail((err as Error).message);
    }
    if (frame.channel < 0 || frame.channel >= CHANNELS) return fail(`channel ${frame.channel} does not exist`);
    if (frame.channel === STDIN) {
      if (stdin) await stdin.push(frame.data);
    } else if (frame.channel === RESIZE && resize) {
      try {
        for (const size of decoder.push(frame.data)) resize.push(size);
      } catch (err) {
        fail((err as Error).message);
      }
    }
    // Data on the output channels (1-3) is ignored, as the kubelet does.
  });
  const gone = ws.closed.then(() => {
    stdin?.error(new Error("client disconnected"));
    resize?.end();
  });
  // The kubelet writes an empty message on the lowest output channel once the connection
  // is up; clients that wait for it (older kubectl) would hang without.
  const first = opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR;
  void ws.send(base64 ? `${first}` : Buffer.from([first]), !base64).catch(() => {});
  return {
    io,
    async finish(status: Status) {
      const bytes = encodeStatus(status, version);
      if (bytes) await channelSink(ws, ERROR, base64).write(bytes);
    },
    close: () => {
      stdin?.end();
      resize?.end();
      ws.close(CLOSE.normal);
    },
    gone,
  };
}
