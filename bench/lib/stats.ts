/** Small numeric helpers shared by the benchmarks: latency summaries and process RSS. */
import * as fs from "node:fs";

export type LatencySummary = {
  count: number;
  /** Milliseconds. */
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
};

/**
 * Nearest-rank percentile of an ascending array: the smallest sample such that at
 * least p% of the samples are at or below it.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Summarises per-call latencies (ms); does not modify the input. */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export type Rss = {
  /** Resident set size now, KiB (VmRSS). */
  rssKiB: number;
  /** Peak resident set size since the process started, KiB (VmHWM). */
  hwmKiB: number;
};

/** Reads VmRSS and VmHWM of one process from /proc/<pid>/status. */
export function readRss(pid: number): Rss {
  const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, "m").exec(text);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status (process gone or a kernel thread?)`);
    return Number(m[1]);
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

let clockTicks: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), in which /proc/<pid>/stat counts CPU time. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const p = Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe", stderr: "ignore" });
    const v = Number(p.stdout.toString().trim());
    clockTicks = p.exitCode === 0 && v > 0 ? v : 100;
  }
  return clockTicks;
}

/**
 * CPU time (user + system, ms) one process has used so far, its threads included but not
 * its children, from /proc/<pid>/stat. Resolution is one clock tick (10 ms at 100 Hz),
 * so take differences over phases of a second or more.
 */
export function readCpuMs(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name is in parentheses and may hold spaces: count fields after the last ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1000) / ticksPerSecond();
}

/** CPU time (user + system, ms) of this benchmark process so far. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** KiB as MiB with one decimal, for tables. */
export function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}

/** Renders rows as a plain left/right aligned text table (numbers right-aligned). */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+$/.test(String(r[i] ?? ""))));
  const line = (r: string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}
