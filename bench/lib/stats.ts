import * as path from "node:path";
import * as os from "node:os";
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
  /**
   * The anonymous part of VmRSS (heap, stacks: memory only this process holds) and the
   * file-backed part (its executable's and libraries' pages, page cache the kernel can
   * drop and read back), KiB. A compiled Bun binary is ~110 MB, so its mapped pages
   * weigh on VmRSS more than a Go binary's do.
   */
  anonKiB: number;
  fileKiB: number;
};

/** Reads VmRSS and VmHWM of one process from /proc/<pid>/status. */
export function readRss(pid: number): Rss {
  const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, "m").exec(text);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status (process gone or a kernel thread?)`);
    return Number(m[1]);
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM"), anonKiB: field("RssAnon"), fileKiB: field("RssFile") };
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

/** CPU time (user + system, ms) of the children a process has waited for (cutime + cstime). */
export function readChildrenCpuMs(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // cutime is field 16, cstime field 17.
  const ticks = Number(rest[13]) + Number(rest[14]);
  return (ticks * 1000) / ticksPerSecond();
}

/** Every live descendant of `pid` (children, their children...), from /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return; // gone meanwhile
    }
    for (const tid of tids) {
      let kids = "";
      try {
        kids = fs.readFileSync(`/proc/${p}/task/${tid}/children`, "utf8");
      } catch {
        continue;
      }
      for (const k of kids.split(" ")) {
        const c = Number(k);
        if (c > 0) {
          out.push(c);
          visit(c);
        }
      }
    }
  };
  visit(pid);
  return out;
}

/** VmRSS of a process plus all its live descendants, KiB (shared pages counted once per process). */
export function readTreeRssKiB(pid: number): number {
  let sum = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      sum += readRss(p).rssKiB;
    } catch {
      // exited between the listing and the read
    }
  }
  return sum;
}

export type RssSampling = {
  /** Highest VmRSS of the process seen, KiB. */
  peakRssKiB: number;
  /** Highest VmRSS summed over the process and its descendants, KiB. */
  peakTreeRssKiB: number;
  samples: number;
};

/**
 * Samples a process's RSS (and its tree's) every `intervalMs` until the returned stop()
 * is called; stop() takes one last sample and returns the peaks. A timer in this process
 * does the sampling, so it only runs while the event loop is free (it is, while a call
 * is awaited).
 */
export function sampleRss(pid: number, intervalMs = 50): { stop(): RssSampling } {
  const r: RssSampling = { peakRssKiB: 0, peakTreeRssKiB: 0, samples: 0 };
  const sample = () => {
    try {
      r.peakRssKiB = Math.max(r.peakRssKiB, readRss(pid).rssKiB);
      r.peakTreeRssKiB = Math.max(r.peakTreeRssKiB, readTreeRssKiB(pid));
      r.samples++;
    } catch {
      // the process is gone: keep what was seen
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return r;
    },
  };
}

/** User and system CPU time (ms) of one process so far, its threads included. */
export function readCpuSplitMs(pid: number): { userMs: number; sysMs: number } {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const tick = 1000 / ticksPerSecond();
  return { userMs: Number(rest[11]) * tick, sysMs: Number(rest[12]) * tick };
}

/** The machine's CPU counters from /proc/stat: busy and total time over all cores, ms. */
export function readHostCpuMs(): { busyMs: number; totalMs: number } {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3]! + v[4]!;
  const tick = 1000 / ticksPerSecond();
  return { busyMs: (total - idle) * tick, totalMs: total * tick };
}

/** The host facts every bench report carries: cores, CPU, kernel, memory, load averages. */
export function hostReport(loadavgAtStart: number[]): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model,
    kernel: os.release(),
    memTotalMiB: Math.round(os.totalmem() / 1024 / 1024),
    /** 1/5/15-minute load averages when the bench started and when it ended. */
    loadavgAtStart,
    loadavgAtEnd: os.loadavg(),
  };
}

/** Warns when other work is running (figures will be noisy); returns the load averages. */
export function warnIfLoaded(): number[] {
  const load = os.loadavg();
  if ((load[0] ?? 0) > 0.5) {
    console.error(`warning: 1-minute load average is ${(load[0] ?? 0).toFixed(2)}: other work is running; figures will be noisy`);
  }
  return load;
}

/** `bench/results/<name>-<UTC date and time>.json`, unless `out` names a file. */
export function resultPath(repo: string, name: string, out?: string): string {
  if (out) return path.resolve(out);
  const stamp = new Date().toISOString().replace(/:/g, "").replace(/\.\d+Z$/, "Z");
  return path.join(repo, "bench", "results", `${name}-${stamp}.json`);
}

/**
 * Writes a bench's JSON report to `bench/results/<name>-<date>.json` (or `out`), numbers
 * rounded to three decimals, and says where; returns the path.
 */
export function writeReport(repo: string, name: string, report: { durationSec: number }, out?: string): string {
  const file = resultPath(repo, name, out);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const round3 = (v: number) => Math.round(v * 1000) / 1000;
  fs.writeFileSync(file, `${JSON.stringify(report, (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? round3(v) : v), 2)}\n`);
  const shown = file.startsWith(`${process.cwd()}/`) ? path.relative(process.cwd(), file) : file;
  console.log(`\nwrote ${shown} (${report.durationSec.toFixed(0)} s total)`);
  return file;
}
