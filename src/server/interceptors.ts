import { Code, RpcError } from "./rpc-error.ts";
import type { Interceptor } from "./rpc.ts";
import type { Logger } from "../logger.ts";
import { toRpcError } from "./error-status.ts";
import type { Readiness } from "./readiness.ts";

/** Wraps a server-streaming response so errors thrown mid-stream are mapped too. */
async function* mapStreamErrors<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* source;
  } catch (err) {
    throw toRpcError(err);
  }
}

/**
 * Maps every error a handler throws to a RpcError with the right code.
 * It is the only place where domain errors become gRPC codes (DESIGN.md rule 3).
 */
export function createErrorInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      const res = await next(req);
      if (res.stream) return { ...res, message: mapStreamErrors(res.message) };
      return res;
    } catch (err) {
      throw toRpcError(err);
    }
  };
}

/** Logs each call at debug level, and failures with their code at warn (internal at error). */
export function createLoggingInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const name = req.method.name;
    const ms = () => (performance.now() - started).toFixed(1);
    try {
      const res = await next(req);
      log.debug(`${name} ok in ${ms()}ms`);
      return res;
    } catch (err) {
      const ce = RpcError.from(err);
      const line = `${name} failed in ${ms()}ms: ${Code[ce.code]}: ${ce.rawMessage}`;
      if (ce.code === Code.Internal || ce.code === Code.Unknown) log.error(line);
      else log.debug(line);
      throw err;
    }
  };
}

/**
 * Refuses calls with `Unavailable` while the daemon is starting or stopping, so a kubelet
 * retries instead of acting on half-loaded state. `Version` is always answered: the
 * kubelet uses it to probe that the socket speaks CRI at all.
 */
export function createReadinessInterceptor(
  readiness: Readiness,
  alwaysAllowed: ReadonlySet<string> = new Set(["Version"]),
): Interceptor {
  return (next) => async (req) => {
    if (readiness.state !== "ready" && !alwaysAllowed.has(req.method.name)) {
      throw new RpcError(readiness.reason, Code.Unavailable);
    }
    return next(req);
  };
}

/** Notes when each call starts (`Date.now()` into `seen.last`), for what must wait for a daemon at rest. */
export function createActivityInterceptor(seen: { last: number }): Interceptor {
  return (next) => (req) => {
    seen.last = Date.now();
    return next(req);
  };
}
