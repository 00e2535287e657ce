/**
 * Bounds on what clients of the socket can make skiff hold, checked before a call reaches
 * connect (where each call costs tens of KiB of state):
 *
 * - calls in flight over all connections (`maxCalls`); past it a call is refused at once,
 *   unless its connection has fewer than `floor` calls in flight, so one client flooding
 *   over many connections does not starve another that asks for little;
 * - response bytes not yet read: HTTP/2 flow control holds a response in memory until
 *   the client reads it. A connection with more than `maxUnreadBytes` unread gets its
 *   new calls refused, and a response that would take it (or all connections together)
 *   past `maxUnreadBytes` (`maxUnreadTotal`) is dropped with RST_STREAM
 *   ENHANCE_YOUR_CALM (grpc-go and grpc-js report RESOURCE_EXHAUSTED) instead of being
 *   kept, unless nothing else of that connection waits (one response always goes out).
 *   A response that makes no progress for `stuckMs` is cancelled, which frees it;
 * - a request whose body has not fully arrived after `stuckMs` is cancelled (unless its
 *   method streams from the client, as skiff.v1.Images/Import does).
 *
 * A refusal is a trailers-only gRPC answer, RESOURCE_EXHAUSTED with a message saying
 * which bound was hit: clients see a clear error, and it costs skiff next to nothing.
 * The number of streams per connection is bounded by the HTTP/2 setting (grpc-server.ts).
 */
import * as http2 from "node:http2";

export type CallLimits = {
  maxCalls: number;
  floor: number;
  maxUnreadBytes: number;
  maxUnreadTotal: number;
  stuckMs: number;
  /** Paths of client-streaming methods, whose request bodies may take long. */
  clientStreaming: ReadonlySet<string>;
};

export const DEFAULT_CALL_LIMITS: CallLimits = {
  maxCalls: 1024,
  floor: 8,
  maxUnreadBytes: 8 * 1024 * 1024,
  maxUnreadTotal: 64 * 1024 * 1024,
  stuckMs: 30_000,
  clientStreaming: new Set(["/skiff.v1.Images/Import"]),
};

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

type Call = {
  res: http2.Http2ServerResponse;
  stream: http2.ServerHttp2Stream;
  started: number;
  requestDone: boolean;
  /** Unsent bytes at the last check, and since when they have not gone down. */
  unsent: number;
  stuckSince?: number;
};

/** Sends a trailers-only gRPC answer and resets the stream, so a request body still coming stops. */
function refuse(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, message: string): void {
  res.setHeader("content-type", "application/grpc");
  res.setHeader("grpc-status", "8"); // RESOURCE_EXHAUSTED
  res.setHeader("grpc-message", encodeURIComponent(message));
  res.end();
  req.stream.close(http2.constants.NGHTTP2_NO_ERROR);
}

const unsentOf = (calls: Iterable<Call>) => {
  let n = 0;
  for (const c of calls) n += c.res.writableLength;
  return n;
};

/** Wraps a request handler with the limits; `stop` ends the periodic check. */
export function limitCalls(handler: Handler, limits: CallLimits, log: (line: string) => void): { handler: Handler; stop(): void } {
  const bySession = new Map<http2.Http2Session, Set<Call>>();
  let inFlight = 0;

  const wrapped: Handler = (req, res) => {
    const session = req.stream.session;
    if (!session) return refuse(req, res, "the connection is closing");
    const mine = bySession.get(session) ?? new Set<Call>();
    const unread = unsentOf(mine);
    if (unread > limits.maxUnreadBytes) {
      log(`refused ${req.url}: ${unread} bytes of responses unread on its connection`);
      return refuse(req, res, `this connection has ${unread} bytes of responses it has not read (at most ${limits.maxUnreadBytes}); read them first`);
    }
    if (inFlight >= limits.maxCalls && mine.size >= limits.floor) {
      log(`refused ${req.url}: ${inFlight} calls in flight`);
      return refuse(req, res, `too many calls in flight (${inFlight}, at most ${limits.maxCalls}); try again later`);
    }
    const call: Call = { res, stream: req.stream, started: performance.now(), requestDone: limits.clientStreaming.has(req.url), unsent: 0 };
    bySession.set(session, mine.add(call));
    inFlight++;
    req.once("end", () => (call.requestDone = true));
    guardWrites(call, mine);
    res.once("close", () => {
      inFlight--;
      mine.delete(call);
      if (mine.size === 0) bySession.delete(session);
    });
    handler(req, res);
  };

  /**
   * Drops a response chunk that would leave too much unread, rather than keep it: the
   * stream is reset and connect, told the stream was destroyed, ends the call quietly.
   */
  const guardWrites = (call: Call, mine: Set<Call>) => {
    const write = call.res.write.bind(call.res) as (chunk: Uint8Array | string, ...rest: unknown[]) => boolean;
    call.res.write = ((chunk: Uint8Array | string, ...rest: unknown[]) => {
      const n = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
      const waiting = unsentOf(mine);
      const tooMuch = waiting + n > limits.maxUnreadBytes || unsentOf(allCalls()) + n > limits.maxUnreadTotal;
      if (waiting > 0 && tooMuch) {
        log(`dropped a ${n}-byte response: its connection has ${waiting} bytes unread`);
        call.stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
        throw Object.assign(new Error("response dropped: the client is not reading"), { code: "ERR_STREAM_DESTROYED" });
      }
      return write(chunk, ...rest);
    }) as typeof call.res.write;
  };

  function* allCalls(): Iterable<Call> {
    for (const calls of bySession.values()) yield* calls;
  }

  /** Cancels calls whose request never finishes arriving, or whose response the client stopped reading. */
  const check = () => {
    const now = performance.now();
    for (const calls of bySession.values()) {
      for (const c of calls) {
        const unsent = c.res.writableLength;
        if (unsent === 0 || unsent < c.unsent) c.stuckSince = undefined;
        else c.stuckSince ??= now;
        c.unsent = unsent;
        const slowRequest = !c.requestDone && now - c.started > limits.stuckMs;
        const unreadResponse = c.stuckSince !== undefined && now - c.stuckSince > limits.stuckMs;
        if (slowRequest || unreadResponse) {
          log(`cancelled a call whose ${slowRequest ? "request did not arrive" : `response (${unsent} bytes) was not read`} in ${limits.stuckMs} ms`);
          c.stream.close(http2.constants.NGHTTP2_CANCEL);
        }
      }
    }
  };
  const timer = setInterval(check, Math.max(100, Math.min(5_000, limits.stuckMs / 4)));
  timer.unref();
  return { handler: wrapped, stop: () => clearInterval(timer) };
}
