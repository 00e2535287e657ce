/**
 * Timestamps in the store are wall-clock nanoseconds since the Unix epoch, as `bigint`,
 * because that is what CRI carries (`created_at`, `started_at`, `finished_at` are int64
 * nanoseconds in api.proto) and a `number` cannot hold them exactly (2^53 ns is only
 * about 104 days).
 */
export type Clock = () => bigint;

/**
 * The system clock. Millisecond resolution only: `Date.now()` follows the wall clock
 * (NTP steps included), while `performance.now()`-based sources are monotonic and drift
 * away from it over a long-running daemon's life, which would make timestamps
 * disagree with the rest of the node.
 */
export const systemClock: Clock = () => BigInt(Date.now()) * 1_000_000n;
