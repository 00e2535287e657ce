/**
 * "2 minutes ago", as crictl's CREATED column reads: the wording of docker's go-units
 * HumanDuration (https://github.com/docker/go-units/blob/master/duration.go), which
 * people know from `docker ps` and `crictl ps`.
 */

/** A duration in seconds, in words. */
export function humanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** "N ago" for a CRI timestamp in nanoseconds since the epoch, seen at `nowMs`. */
export function createdAgo(createdAtNs: bigint, nowMs = Date.now()): string {
  if (createdAtNs <= 0n) return "Unknown";
  const ageS = (nowMs - Number(createdAtNs / 1_000_000n)) / 1000;
  return `${humanDuration(Math.max(0, ageS))} ago`;
}
