/**
 * remotecommand over SPDY/3.1, as kubectl and the kubelet's proxy speak it: after the
 * upgrade the client opens one stream per channel, each named by its `streamtype` header
 * (error, stdin, stdout, stderr, and resize for a tty from v3 on). The server accepts
 * (SYN_REPLY) each stream it expects and refuses (RST_STREAM) the rest; once all expected
 * streams are there the command runs. The client reads the error stream to its end to get
 * the status, so it is ended right after the status is written.
 */
import { LatestQueue } from "../byte-pipe.ts";
import type { ProcessIo, TerminalSize } from "../../runtime/process-io.ts";
import { RST, type SpdySession, type SpdyStream } from "../spdy-session.ts";
import { type RemoteCommandConn, type StreamOptions } from "./remote-command.ts";
import { ResizeDecoder } from "./resize-decoder.ts";
import { type Status, encodeStatus } from "./status.ts";

/** How long a client may take to open its streams (the kubelet's DefaultStreamCreationTimeout). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

type Kind = "error" | "stdin" | "stdout" | "stderr" | "resize";

/** The stream types this request needs under protocol `version`. */
export function expectedStreams(opts: StreamOptions, version: number): Set<Kind> {
  const want = new Set<Kind>(["error"]);
  if (opts.stdin) want.add("stdin");
  if (opts.stdout) want.add("stdout");
  if (opts.stderr && !opts.tty) want.add("stderr");
  if (opts.tty && version >= 3) want.add("resize");
  return want;
}

/**
 * Waits for the client's streams. Rejects (and the caller ends the session) when they do
 * not all come within `timeoutMs`, or the session ends first.
 */
export function acceptSpdyRemoteCommand(session: SpdySession, opts: StreamOptions, version: number, timeoutMs = STREAM_CREATION_TIMEOUT_MS): Promise<RemoteCommandConn> {
  const want = expectedStreams(opts, version);
  const got = new Map<Kind, SpdyStream>();
  const resize = want.has("resize") ? new LatestQueue<TerminalSize>() : undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the client opened ${got.size} of ${want.size} streams within ${timeoutMs} ms`)), timeoutMs);
    void session.closed.then(() => {
      clearTimeout(timer);
      reject(new Error("the client left before opening its streams"));
    });
    session.onStream((s) => {
      const kind = (s.headers.streamtype ?? "") as Kind;
      if (!want.has(kind) || got.has(kind)) {
        // Not a stream this request has (or a second one of a kind): refuse just it.
        s.reset(RST.refusedStream);
        return;
      }
      s.reply();
      got.set(kind, s);
      if (got.size < want.size) return;
      clearTimeout(timer);
      resolve(buildConn(session, got, resize, version));
    });
  });
}

function buildConn(session: SpdySession, got: Map<Kind, SpdyStream>, resize: LatestQueue<TerminalSize> | undefined, version: number): RemoteCommandConn {
  const sink = (s: SpdyStream | undefined) => s && { write: (c: Uint8Array) => s.write(c), end: () => s.end() };
  const resizeStream = got.get("resize");
  if (resize && resizeStream) void pumpResize(resizeStream, resize, session);
  // The client never writes on its output streams; reading them keeps their windows open
  // and notices a reset.
  for (const k of ["stdout", "stderr", "error"] as const) void drain(got.get(k));
  const io: ProcessIo = { stdin: got.get("stdin")?.readable, stdout: sink(got.get("stdout")), stderr: sink(got.get("stderr")), resize };
  const gone = session.closed.then(() => resize?.end());
  return {
    io,
    async finish(status: Status) {
      const err = got.get("error")!;
      const bytes = encodeStatus(status, version);
      if (bytes) await err.write(bytes);
      await err.end();
    },
    close() {
      resize?.end();
      // Our halves of the client's input streams were never written: end them, so each
      // stream is done once the client ends its half. Then close gently (clients close the
      // session once they have the status); one that does not is cut off.
      for (const k of ["stdin", "resize"] as const) void got.get(k)?.end().catch(() => {});
      void Promise.race([session.close(), Bun.sleep(2000)]).then(() => session.close({ force: true }));
    },
    gone: gone.then(() => undefined),
  };
}

async function pumpResize(s: SpdyStream, out: LatestQueue<TerminalSize>, session: SpdySession): Promise<void> {
  const decoder = new ResizeDecoder();
  try {
    for await (const chunk of s.readable) for (const size of decoder.push(chunk)) out.push(size);
  } catch {
    // A bad resize stream is a broken client: end the session.
    void session.close({ force: true });
  } finally {
    out.end();
  }
}

async function drain(s: SpdyStream | undefined): Promise<void> {
  if (!s) return;
  try {
    for await (const _ of s.readable) {
      // discard
    }
  } catch {
    // reset by the client
  }
}
