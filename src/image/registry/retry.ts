/**
 * Retry policy for registry requests: a bounded number of tries with exponential
 * backoff and jitter on 429, 5xx gateway/availability errors and broken connections,
 * honouring `Retry-After` (RFC 9110 §10.2.3) up to a cap.
 */

export type RetryPolicy = {
  /** Total tries of one request, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is cut down to it. */
  maxRetryAfterMs: number;
};

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/** Statuses worth another try: rate limiting and the server-side 5xx that pass. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/**
 * Connection failures worth another try on the same endpoint. A refused connection is
 * not one: nothing listens there, and the next endpoint (a mirror's fallback) is a
 * better use of the time.
 */
const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
  "ConnectionClosed",
  "UND_ERR_SOCKET",
]);

export function isRetryableNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE_CODES.has(code);
}

/** The delay before retry number `retry` (0 for the first retry): base·2^retry, capped, with jitter. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  // "Equal jitter": half fixed, half random, so retries spread out but never collapse to 0.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A `Retry-After` value (seconds or an HTTP date) in ms from `now`, or undefined. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait before the next try after a retryable response. */
export function retryDelay(policy: RetryPolicy, retry: number, retryAfter: string | null): number {
  const asked = parseRetryAfter(retryAfter);
  return asked !== undefined ? Math.min(asked, policy.maxRetryAfterMs) : backoffDelay(policy, retry);
}

/** Sleeps, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
