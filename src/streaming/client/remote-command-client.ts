/**
 * The client side of exec and attach (what kubectl does against the API server, here
 * against a runtime's streaming URL): over SPDY it opens one stream per channel, over
 * WebSocket it frames each channel in messages. It copies the local streams in and out,
 * sends terminal sizes, and turns the final status into the exit code.
 */
import type { ByteSink, TerminalSize } from "../../runtime/process-io.ts";
import { type StreamOptions, SPDY_REMOTE_COMMAND_PROTOCOLS, protocolVersion } from "../remotecommand/remote-command.ts";
import { exitCodeOf } from "../remotecommand/status.ts";
import { prefixed } from "../remotecommand/ws-remote-command.ts";
import type { SpdyStream } from "../spdy-session.ts";
import { CLOSE } from "../websocket/ws-frame.ts";
import { type Transport, dialSpdy, dialWebSocket } from "./dial-transports.ts";

export type CommandIo = {
  stdin?: ReadableStream<Uint8Array>;
  stdout?: ByteSink;
  stderr?: ByteSink;
  resize?: AsyncIterable<TerminalSize>;
};

/** What the client offers over WebSocket: v5 (stdin close) first, then v4, then the plain channels. */
export const WS_CLIENT_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"];

const sizeJson = (s: TerminalSize) => JSON.stringify({ Width: s.width, Height: s.height });

/** Runs an exec or attach at `url`; resolves with the remote exit code (0 for attach). */
export function runRemoteCommand(url: string, transport: Transport, opts: StreamOptions, io: CommandIo): Promise<number> {
  return transport === "websocket" ? overWebSocket(url, opts, io) : overSpdy(url, opts, io);
}

async function overWebSocket(url: string, opts: StreamOptions, io: CommandIo): Promise<number> {
  const ws = await dialWebSocket(url, WS_CLIENT_PROTOCOLS);
  const version = protocolVersion(ws.protocol);
  const status: Buffer[] = [];
  ws.start(async (m) => {
    if (m.data.length === 0) return;
    const data = m.data.subarray(1);
    if (m.data[0] === 1) await io.stdout?.write(data);
    else if (m.data[0] === 2) await io.stderr?.write(data);
    else if (m.data[0] === 3) status.push(data);
  });
  if (opts.stdin && io.stdin) {
    void (async () => {
      for await (const chunk of io.stdin!) await ws.send(prefixed(0, chunk));
      // Only v5 can say "stdin ended" and keep the connection; a terminal's input never ends.
      if (ws.protocol === "v5.channel.k8s.io" && !opts.tty) await ws.send(Buffer.from([255, 0]));
    })().catch(() => {});
  }
  if (opts.tty && io.resize) {
    void (async () => {
      for await (const size of io.resize!) await ws.send(prefixed(4, Buffer.from(sizeJson(size))));
    })().catch(() => {});
  }
  const closed = await ws.closed;
  await Promise.allSettled([io.stdout?.end(), io.stderr?.end()]);
  if (status.length === 0 && closed.code !== CLOSE.normal) throw new Error(`the streaming connection ended without a status: ${closed.error?.message ?? `close code ${closed.code} ${closed.reason}`}`);
  return exitCodeOf(Buffer.concat(status), version);
}

async function overSpdy(url: string, opts: StreamOptions, io: CommandIo): Promise<number> {
  const { session, protocol } = await dialSpdy(url, SPDY_REMOTE_COMMAND_PROTOCOLS);
  const version = protocolVersion(protocol);
  try {
    const open = (type: string) => session.open({ streamtype: type });
    const error = await open("error");
    const stdin = opts.stdin ? await open("stdin") : undefined;
    const stdout = opts.stdout ? await open("stdout") : undefined;
    const stderr = opts.stderr && !opts.tty ? await open("stderr") : undefined;
    const resize = opts.tty && version >= 3 ? await open("resize") : undefined;
    // A terminal's input has no end of its own (Ctrl-D is data): with a tty, stdin stays open.
    if (stdin) void copyIn(io.stdin, stdin, !opts.tty);
    if (resize && io.resize) {
      void (async () => {
        for await (const size of io.resize!) await resize.write(Buffer.from(`${sizeJson(size)}\n`));
      })().catch(() => {});
    }
    const [, , statusBytes] = await Promise.all([copyOut(stdout, io.stdout), copyOut(stderr, io.stderr), readAll(error)]);
    return exitCodeOf(statusBytes, version);
  } finally {
    // Everything the server had to say has arrived: drop the session, as kubectl does.
    await session.close({ force: true });
  }
}

async function copyIn(from: ReadableStream<Uint8Array> | undefined, to: SpdyStream, endWithIt: boolean): Promise<void> {
  try {
    if (from) for await (const chunk of from) await to.write(chunk);
    if (endWithIt) await to.end();
  } catch {
    // the session ended first
  }
}

/**
 * Kubernetes servers end a session by resetting every stream (RST_STREAM CANCEL) once
 * they are done, and client-go reads a reset as the end of a stream. So does this: what
 * arrived before the reset is the stream's content.
 */
async function copyOut(from: SpdyStream | undefined, to: ByteSink | undefined): Promise<void> {
  if (!from) return;
  try {
    for await (const chunk of from.readable) await to?.write(chunk);
  } catch {
    // reset: the end (see above)
  }
  await to?.end();
}

/** The error stream's bytes; a reset after the status is its end, a reset before any is a failure. */
async function readAll(s: SpdyStream): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of s.readable) parts.push(chunk);
  } catch (err) {
    if (parts.length === 0) throw new Error(`the streaming connection ended without a status: ${(err as Error).message}`);
  }
  return Buffer.concat(parts);
}
