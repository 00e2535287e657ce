#!/usr/bin/env bun
/**
 * CRI round-trip benchmark: Version and Status against skiff and containerd in one run,
 * all driven by skiff's own CRI client (connect-es, gRPC over h2c on a unix socket).
 * A third row, bun-floor, is Bun's node:http2 server compiled like skiff and answering
 * the same calls with canned bytes (lib/bun-floor-server.ts): what serving through
 * node:http2 costs before any code of one's own. skiff served through node:http2 until
 * it got its own HTTP/2 (src/server/h2/); since then it runs below this row.
 *
 *   bun bench/rpc.ts [--n 10000] [--warmup 200] [--concurrency 16] [--rounds 5]
 *                    [--runtimes skiff,containerd,bun-floor] [--rebuild] [--out FILE]
 *
 * Only one runtime is ever under load; the others sit idle meanwhile. Each phase
 * is split into --rounds rounds that take turns between the runtimes, the order flipped
 * every round, so neither always goes first.
 *   1. start the daemons one after the other; warm up (--warmup calls of each RPC)
 *   2. wait 1 s, read idle RSS
 *   3. sequential: --n Version calls, then --n Status calls per runtime, one in flight,
 *      every call timed alone; RSS read after each runtime's last call of each RPC
 *   4. concurrent: --n calls of each RPC with --concurrency in flight on one HTTP/2
 *      connection (as a kubelet has), reporting calls/s; RSS read at the end
 *   5. at rest: 20 s with no calls, RSS read again
 *   6. kubelet-paced: 30 s of one kubelet round a second (the relist, status, images
 *      and stats calls) to every daemon at once; RSS read at the end
 * Daemon CPU per call comes from /proc/<pid>/stat, client CPU from process.cpuUsage().
 * Prints a table and writes bench/results/rpc-<date>.json.
 */
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type CriClient, createCriClient } from "../src/cli/cri-client.ts";
import { runBench, runCleanups } from "./lib/cleanup.ts";
import { startBunFloor } from "./lib/bun-floor.ts";
import { containerdVersion, startContainerd } from "./lib/containerd.ts";
import { LIST_METHODS, timedList } from "./lib/load-calls.ts";
import type { RunningDaemon } from "./lib/daemon.ts";
import { REPO, ensureSkiffBinary, startSkiff } from "./lib/skiff.ts";
import { type LatencySummary, mib, type Rss, readCpuMs, readRss, selfCpuMs, summarize, table, hostReport, writeReport, warnIfLoaded } from "./lib/stats.ts";

const RUNTIMES = ["skiff", "containerd", "bun-floor"] as const;
type RuntimeName = (typeof RUNTIMES)[number];
const RPCS = ["Version", "Status"] as const;
type RpcName = (typeof RPCS)[number];

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    warmup: { type: "string", default: "200" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "5" },
    runtimes: { type: "string", default: RUNTIMES.join(",") },
    rebuild: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(`usage: bun bench/rpc.ts [--n 10000] [--warmup 200] [--concurrency 16] [--rounds 5] [--runtimes ${RUNTIMES.join(",")}] [--rebuild] [--out FILE]`);
  process.exit(0);
}
const N = positiveInt("n", args.n!);
const WARMUP = positiveInt("warmup", args.warmup!);
const CONCURRENCY = positiveInt("concurrency", args.concurrency!);
const selected = args.runtimes!.split(",").map((s) => s.trim()).filter(Boolean);
for (const r of selected) if (!(RUNTIMES as readonly string[]).includes(r)) usage(`unknown runtime "${r}" (known: ${RUNTIMES.join(", ")})`);
const runtimes = RUNTIMES.filter((r) => selected.includes(r));
const ROUNDS = positiveInt("rounds", args.rounds!);
/** Pause before each block so one daemon's after-load GC does not run into the next block. */
const SETTLE_MS = 250;
/**
 * Quiet time before the at-rest RSS reading: long enough for the runtimes' own collectors
 * to run and finish. skiff shrinks its heap 5-7 s after its last call and the freed pages
 * leave its RSS about 4 s later (in the background); a 12 s rest read it before or after
 * that by chance, 50 or 58 MiB for the same build.
 */
const REST_MS = 20_000;
/** How long the kubelet-paced phase polls, one round a second. */
const PACED_S = 30;

function positiveInt(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) usage(`--${name} must be a positive integer, got "${raw}"`);
  return v;
}
function usage(msg: string): never {
  console.error(`rpc.ts: ${msg}`);
  process.exit(2);
}

type Target = { name: RuntimeName; daemon: RunningDaemon; client: CriClient };

/** The figures of one RPC against one runtime in one phase, over all its rounds. */
type Phase = {
  concurrency: number;
  latencyMs: LatencySummary;
  callsPerSec: number;
  wallMs: number;
  /** Daemon CPU (user + system) per call, microseconds; from /proc, 10 ms resolution overall. */
  daemonCpuUsPerCall: number;
  /** This benchmark process's CPU per call (the client side), microseconds. */
  clientCpuUsPerCall: number;
};
type RuntimeResult = {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
  pid: number;
  startMs: number;
  rss: { idle?: Rss; afterVersion?: Rss; afterStatus?: Rss; afterConcurrent?: Rss; atRest?: Rss; paced?: Rss };
  sequential: Partial<Record<RpcName, Phase>>;
  concurrent: Partial<Record<RpcName, Phase>>;
};

/** One call of the named RPC; the answer is checked just enough to know it is real. */
async function call(client: CriClient, rpc: RpcName): Promise<void> {
  if (rpc === "Version") {
    const v = await client.runtime.version({ version: "v1" });
    if (!v.runtimeName) throw new Error("Version answered without runtime_name");
  } else {
    const s = await client.runtime.status({});
    if (!s.status) throw new Error("Status answered without status");
  }
}

/**
 * One round of what a kubelet asks a runtime every second or so when no pod changes:
 * the PLEG relist, the status probe, and the stats the summary API reads.
 */
async function kubeletRound(client: CriClient): Promise<void> {
  await client.runtime.version({ version: "v1" });
  await client.runtime.status({});
  await client.image.listImages({});
  await client.image.imageFsInfo({});
  for (const m of LIST_METHODS) await timedList(client, m);
}

/** Raw figures of one block of calls, before summarising. */
type Block = { samples: Float64Array; wallMs: number; daemonCpuMs: number; clientCpuMs: number };

/**
 * Runs `n` calls with `width` of them in flight (1 = strictly sequential), timing each
 * call on its own with performance.now().
 */
async function block(t: Target, rpc: RpcName, n: number, width: number): Promise<Block> {
  const samples = new Float64Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      await call(t.client, rpc);
      samples[i] = performance.now() - s;
    }
  };
  const daemonCpu0 = readCpuMs(t.daemon.pid);
  const clientCpu0 = selfCpuMs();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
  const wallMs = performance.now() - t0;
  return { samples, wallMs, daemonCpuMs: readCpuMs(t.daemon.pid) - daemonCpu0, clientCpuMs: selfCpuMs() - clientCpu0 };
}

/**
 * `n` calls of one RPC per runtime, split into ROUNDS rounds that take turns between the
 * runtimes (order flipped every round), so slow drift of the machine (other load, clock
 * changes) is spread over all of them instead of landing on whichever ran last.
 * `after(t)` runs as soon as a runtime has finished its last round (for the RSS reading).
 */
async function runPhase(targets: Target[], rpc: RpcName, n: number, width: number, after: (t: Target) => void): Promise<Map<Target, Phase>> {
  const blocks = new Map<Target, Block[]>(targets.map((t) => [t, []]));
  const label = width === 1 ? "sequential" : `concurrent (${width} in flight)`;
  console.error(`${label} ${rpc}: ${n} calls per runtime in ${ROUNDS} rounds ...`);
  for (let round = 0; round < ROUNDS; round++) {
    // Spread n over the rounds; the first rounds take the remainder.
    const size = Math.floor(n / ROUNDS) + (round < n % ROUNDS ? 1 : 0);
    const turn = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of turn) {
      await Bun.sleep(SETTLE_MS);
      if (size > 0) blocks.get(t)!.push(await block(t, rpc, size, width));
      if (round === ROUNDS - 1) after(t);
    }
  }
  const out = new Map<Target, Phase>();
  for (const [t, bs] of blocks) {
    const samples = new Float64Array(bs.reduce((k, b) => k + b.samples.length, 0));
    let at = 0;
    for (const b of bs) {
      samples.set(b.samples, at);
      at += b.samples.length;
    }
    const sum = (f: (b: Block) => number) => bs.reduce((k, b) => k + f(b), 0);
    const wallMs = sum((b) => b.wallMs);
    out.set(t, {
      concurrency: width,
      latencyMs: summarize(samples),
      callsPerSec: samples.length / (wallMs / 1000),
      wallMs,
      daemonCpuUsPerCall: (sum((b) => b.daemonCpuMs) * 1000) / samples.length,
      clientCpuUsPerCall: (sum((b) => b.clientCpuMs) * 1000) / samples.length,
    });
  }
  return out;
}

/** Starts one daemon; the time counts from spawn to the first Version answer (no build). */
async function start(name: RuntimeName): Promise<{ daemon: RunningDaemon; startMs: number }> {
  if (name === "skiff") await ensureSkiffBinary({ build: args.rebuild ? "always" : "if-missing" });
  const t0 = performance.now();
  const daemon = name === "skiff" ? await startSkiff({ build: "never" }) : name === "containerd" ? await startContainerd() : await startBunFloor();
  return { daemon, startMs: performance.now() - t0 };
}

function gitHead(): string | undefined {
  const p = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: REPO, stdout: "pipe", stderr: "ignore" });
  return p.exitCode === 0 ? p.stdout.toString().trim() : undefined;
}

function skiffBinaryVersion(): string | undefined {
  const bin = process.env.SKIFF_BIN ?? path.join(REPO, "dist", "skiff-linux-x64");
  const p = Bun.spawnSync([bin, "--version"], { stdout: "pipe", stderr: "ignore" });
  return p.exitCode === 0 ? p.stdout.toString().trim() : undefined;
}

const ms = (v: number) => v.toFixed(3);
const rate = (v: number) => Math.round(v).toString();
const round3 = (v: number) => Math.round(v * 1000) / 1000;

function printTables(results: Partial<Record<RuntimeName, RuntimeResult>>): void {
  const rows = (kind: "sequential" | "concurrent") =>
    RPCS.flatMap((rpc) =>
      runtimes.map((r) => {
        const x = results[r]![kind][rpc]!;
        const l = x.latencyMs;
        return [rpc, r, ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max), rate(x.callsPerSec), Math.round(x.daemonCpuUsPerCall), Math.round(x.clientCpuUsPerCall)];
      }),
    );
  const head = ["rpc", "runtime", "p50 ms", "p90 ms", "p99 ms", "max ms", "calls/s", "daemon CPU us/call", "client CPU us/call"];
  console.log(`\nSequential: ${N} calls per RPC per runtime, one in flight`);
  console.log(table(head, rows("sequential")));
  console.log(`\nConcurrent: ${N} calls per RPC per runtime, ${CONCURRENCY} in flight on one connection`);
  console.log(table(head, rows("concurrent")));
  console.log(`\nDaemon RSS, MiB (VmRSS of the daemon process; peak = VmHWM at the end)`);
  console.log(
    table(
      ["runtime", "idle", "idle anon / file", `+${N} Version`, `+${N} Status`, "+concurrent", `at rest (${REST_MS / 1000} s later) anon / file`, `kubelet-paced (${PACED_S} s) anon / file`, "peak", "start ms"],
      runtimes.map((r) => {
        const x = results[r]!;
        const idle = x.rss.idle!;
        return [r, mib(idle.rssKiB), `${mib(idle.anonKiB)} / ${mib(idle.fileKiB)}`, mib(x.rss.afterVersion!.rssKiB), mib(x.rss.afterStatus!.rssKiB), mib(x.rss.afterConcurrent!.rssKiB), `${mib(x.rss.atRest!.rssKiB)} (${mib(x.rss.atRest!.anonKiB)} / ${mib(x.rss.atRest!.fileKiB)})`, `${mib(x.rss.paced!.rssKiB)} (${mib(x.rss.paced!.anonKiB)} / ${mib(x.rss.paced!.fileKiB)})`, mib(x.rss.paced!.hwmKiB), Math.round(x.startMs)];
      }),
    ),
  );
}


async function main(): Promise<void> {
  const benchStart = performance.now();
  const loadAtStart = warnIfLoaded();
  const targets: Target[] = [];
  const results: Partial<Record<RuntimeName, RuntimeResult>> = {};
  try {
    // 1. Start one after the other, so neither start competes with the other for CPU.
    for (const name of runtimes) {
      const { daemon, startMs } = await start(name);
      console.error(`${name}: ready in ${Math.round(startMs)} ms, pid ${daemon.pid}, ${daemon.version.runtimeName} ${daemon.version.runtimeVersion}`);
      targets.push({ name, daemon, client: createCriClient(daemon.endpoint) });
      results[name] = { ...daemon.version, pid: daemon.pid, startMs: round3(startMs), rss: {}, sequential: {}, concurrent: {} };
    }

    // Warm-up: JITs, connection, first-call allocations; a few concurrent calls too.
    for (const t of targets) {
      for (const rpc of RPCS) {
        await block(t, rpc, WARMUP, 1);
        await block(t, rpc, Math.min(WARMUP, CONCURRENCY * 4), CONCURRENCY);
      }
    }

    // 2. Idle RSS.
    await Bun.sleep(1000);
    for (const t of targets) results[t.name]!.rss.idle = readRss(t.daemon.pid);

    // 3. Sequential, RSS right after each runtime's last Version / Status call.
    for (const rpc of RPCS) {
      const key = rpc === "Version" ? "afterVersion" : "afterStatus";
      const got = await runPhase(targets, rpc, N, 1, (t) => {
        results[t.name]!.rss[key] = readRss(t.daemon.pid);
      });
      for (const [t, p] of got) results[t.name]!.sequential[rpc] = p;
    }

    // 4. Concurrent throughput.
    for (const rpc of RPCS) {
      const got = await runPhase(targets, rpc, N, CONCURRENCY, (t) => {
        if (rpc === RPCS[RPCS.length - 1]) results[t.name]!.rss.afterConcurrent = readRss(t.daemon.pid);
      });
      for (const [t, p] of got) results[t.name]!.concurrent[rpc] = p;
    }

    // 5. At rest: what each daemon holds once the calls have stopped for a while.
    await Bun.sleep(REST_MS);
    for (const t of targets) results[t.name]!.rss.atRest = readRss(t.daemon.pid);

    // 6. Kubelet-paced: a daemon a kubelet uses is never at rest for long. Every runtime
    // gets one kubelet round a second, side by side, and RSS is read at the end.
    for (let i = 0; i < PACED_S; i++) {
      const tick = Bun.sleep(1000);
      await Promise.all(targets.map((t) => kubeletRound(t.client)));
      await tick;
    }
    for (const t of targets) results[t.name]!.rss.paced = readRss(t.daemon.pid);
  } finally {
    for (const t of targets) {
      t.client.close();
      await t.daemon.stop();
    }
    await runCleanups();
  }

  printTables(results);

  const report = {
    benchmark: "rpc",
    date: new Date().toISOString(),
    durationSec: round3((performance.now() - benchStart) / 1000),
    host: hostReport(loadAtStart),
    versions: {
      bun: Bun.version,
      skiff: results.skiff ? { binary: skiffBinaryVersion(), runtimeVersion: results.skiff.runtimeVersion, gitHead: gitHead() } : undefined,
      containerd: results.containerd ? { binary: await containerdVersion(), runtimeVersion: results.containerd.runtimeVersion } : undefined,
    },
    method: {
      client: "skiff src/cli/cri-client.ts (connect-es gRPC, h2c over unix socket, one HTTP/2 connection per runtime)",
      warmupCallsPerRpc: WARMUP,
      callsPerRpc: N,
      concurrency: CONCURRENCY,
      percentiles: "nearest rank",
      rounds: ROUNDS,
      order: "one runtime under load at a time; each phase split into rounds that alternate between runtimes, order flipped every round",
      settleMsBeforeEachBlock: SETTLE_MS,
      restMs: REST_MS,
      bunFloor: "bench/lib/bun-floor-server.ts compiled with skiff's flags: node:http2 on a unix socket, canned Version and Status answers, empty answers to the rest, Bun.shrink after start and after 5 s without calls",
      kubeletPaced: `${PACED_S} s, every runtime at once, one round a second: Version, Status, ListImages, ImageFsInfo, then load.ts's List calls (${LIST_METHODS.join(", ")}); RSS read at the end`,
      rss: "/proc/<daemon pid>/status VmRSS (KiB); hwm = VmHWM",
      cpu: "daemon: utime+stime from /proc/<pid>/stat over the phase; client: process.cpuUsage() of the bench process",
    },
    results,
  };
  writeReport(REPO, "rpc", report, args.out);
}

runBench(main);
