/**
 * Bounds on what clients of the socket can make skiff hold, checked before a call reaches
 * its handler:
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
import { ErrorCode } from "./h2/frames.ts";
import { type H2Stream, StreamClosedError } from "./h2/stream.ts";
import type { StreamHandler } from "./grpc-calls.ts";

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

type Call = {
  stream: H2Stream;
  started: number;
  requestDone: boolean;
  /** Unsent bytes at the last check, and since when they have not gone down. */
  unsent: number;
  stuckSince?: number;
};

/** Sends a trailers-only gRPC answer; a request body still coming is reset (NO_ERROR). */
function refuse(stream: H2Stream, message: string): void {
  stream.cutRequestOnEnd = true;
  stream.respond(
    [
      [":status", "200"],
      ["content-type", "application/grpc"],
      ["grpc-status", "8"], // RESOURCE_EXHAUSTED
      ["grpc-message", encodeURIComponent(message)],
    ],
    true,
  );
}

const unsentOf = (calls: Iterable<Call>) => {
  let n = 0;
  for (const c of calls) n += c.stream.unsent;
  return n;
};

/** Wraps a stream handler with the limits; `stop` ends the periodic check. */
export function limitCalls(handler: StreamHandler, limits: CallLimits, log: (line: string) => void): { handler: StreamHandler; stop(): void } {
  const byConnection = new Map<object, Set<Call>>();
  let inFlight = 0;

  const wrapped: StreamHandler = (stream) => {
    const path = stream.headers.get(":path") ?? "";
    const mine = byConnection.get(stream.owner) ?? new Set<Call>();
    const unread = unsentOf(mine);
    if (unread > limits.maxUnreadBytes) {
      log(`refused ${path}: ${unread} bytes of responses unread on its connection`);
      return refuse(stream, `this connection has ${unread} bytes of responses it has not read (at most ${limits.maxUnreadBytes}); read them first`);
    }
    if (inFlight >= limits.maxCalls && mine.size >= limits.floor) {
      log(`refused ${path}: ${inFlight} calls in flight`);
      return refuse(stream, `too many calls in flight (${inFlight}, at most ${limits.maxCalls}); try again later`);
    }
    const call: Call = { stream, started: performance.now(), requestDone: limits.clientStreaming.has(path), unsent: 0 };
    byConnection.set(stream.owner, mine.add(call));
    inFlight++;
    stream.onRequestEnd(() => (call.requestDone = true));
    guardWrites(call, mine);
    stream.onClose(() => {
      mine.delete(call);
      if (mine.size === 0) byConnection.delete(stream.owner);
    });
    // A call the client reset is in flight until its handler returns: resetting calls buys no more work.
    stream.onReleased(() => inFlight--);
    handler(stream);
  };

  /**
   * Drops a response chunk that would leave too much unread, rather than keep it: the
   * stream is reset and the write throws, which ends the call quietly.
   */
  const guardWrites = (call: Call, mine: Set<Call>) => {
    call.stream.beforeWrite = (n) => {
      const waiting = unsentOf(mine);
      const tooMuch = waiting + n > limits.maxUnreadBytes || unsentOf(allCalls()) + n > limits.maxUnreadTotal;
      if (waiting > 0 && tooMuch) {
        log(`dropped a ${n}-byte response: its connection has ${waiting} bytes unread`);
        call.stream.reset(ErrorCode.ENHANCE_YOUR_CALM);
        throw new StreamClosedError(ErrorCode.ENHANCE_YOUR_CALM);
      }
    };
  };

  function* allCalls(): Iterable<Call> {
    for (const calls of byConnection.values()) yield* calls;
  }

  /** Cancels calls whose request never finishes arriving, or whose response the client stopped reading. */
  const check = () => {
    const now = performance.now();
    for (const calls of byConnection.values()) {
      for (const c of calls) {
        const unsent = c.stream.unsent;
        if (unsent === 0 || unsent < c.unsent) c.stuckSince = undefined;
        else c.stuckSince ??= now;
        c.unsent = unsent;
        const slowRequest = !c.requestDone && now - c.started > limits.stuckMs;
        const unreadResponse = c.stuckSince !== undefined && now - c.stuckSince > limits.stuckMs;
        if (slowRequest || unreadResponse) {
          log(`cancelled a call whose ${slowRequest ? "request did not arrive" : `response (${unsent} bytes) was not read`} in ${limits.stuckMs} ms`);
          c.stream.reset(ErrorCode.CANCEL);
        }
      }
    }
  };
  const timer = setInterval(check, Math.max(100, Math.min(5_000, limits.stuckMs / 4)));
  timer.unref();
  return { handler: wrapped, stop: () => clearInterval(timer) };
}
