#!/usr/bin/env bun
/**
 * Pod start benchmark: N pods, one after the other, each RunPodSandbox + CreateContainer
 * + StartContainer of busybox `sleep 3600` on a CNI bridge, against containerd and skiff
 * in the same run, both with runc, both driven by skiff's own CRI client.
 *
 *   bun bench/pods.ts [--n 50] [--runtimes containerd,skiff] [--rebuild] [--out FILE]
 *
 * Both runtimes start, each with a private CNI bridge (a 10.x /24, no masquerade, traffic
 * to anything outside the subnet dropped); each pulls the images (not timed); their idle
 * RSS is read; then they take turns starting pods, 5 at a time, timing each call, until
 * each has N. Then, per runtime: its RSS and the RSS of its per-pod monitors
 * (containerd-shim-runc-v2 for containerd, conmon for skiff), and every pod removed.
 * Per-pod overhead = (daemon RSS growth + monitor RSS) / N.
 * Writes bench/results/pods-<date>.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type CriClient, createCriClient } from "../src/cli/cri-client.ts";
import { describeError } from "../src/errors.ts";
import { pushPodImages } from "../test/support/pod-images.ts";
import { startRegistry } from "../test/support/registry.ts";
import { onCleanup, runBench, runCleanups } from "./lib/cleanup.ts";
import { containerdVersion } from "./lib/containerd.ts";
import type { PodBenchTarget } from "./lib/pods-skiff.ts";
import { POD_RUNTIMES, type PodRuntimeName, startPodTarget, waitRuntimeReady } from "./lib/pod-targets.ts";
import { cniMsPerPod, fetchTotals, meanMs } from "./lib/exec-metrics.ts";
import { monitorPids, removeAllPods, startBenchPod, sumRssKiB } from "./lib/pods-run.ts";
import { REPO, ensureSkiffBinary } from "./lib/skiff.ts";
import { hostReport, mib, percentile, type Rss, readRss, writeReport, table, warnIfLoaded } from "./lib/stats.ts";

const RUNTIMES = POD_RUNTIMES;
type RuntimeName = PodRuntimeName;

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "50" },
    runtimes: { type: "string", default: RUNTIMES.join(",") },
    rebuild: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log("usage: bun bench/pods.ts [--n 50] [--runtimes containerd,skiff] [--rebuild] [--out FILE]");
  process.exit(0);
}
const N = Number(args.n);
if (!Number.isInteger(N) || N <= 0) usage(`--n must be a positive integer, got "${args.n}"`);
const selected = args.runtimes!.split(",").map((s) => s.trim()).filter(Boolean);
for (const r of selected) if (!(RUNTIMES as readonly string[]).includes(r)) usage(`unknown runtime "${r}" (known: ${RUNTIMES.join(", ")})`);
const runtimes = RUNTIMES.filter((r) => selected.includes(r));
/** Pods one runtime starts before the other takes its turn. */
const ROUND = 5;
/** Pause before reading RSS, so the daemons finish what they do after answering. */
const SETTLE_MS = 2000;

function usage(msg: string): never {
  console.error(`pods.ts: ${msg}`);
  process.exit(2);
}

type Latency = { p50: number; p95: number; mean: number; min: number; max: number };
type RuntimeResult = {
  runtimeVersion?: string;
  podsStarted: number;
  /** Set when the runtime could not run the benchmark (e.g. "skiff: Unimplemented ..."). */
  error?: string;
  latencyMs?: { run: Latency; create: Latency; start: Latency; total: Latency };
  rssKiB?: { daemonIdle: number; daemonIdleAnon: number; daemonIdleFile: number; daemonWithPods: number; monitors: number; monitorCount: number; perPodOverhead: number };
  removeAllMs?: number;
  /**
   * skiff only, from its metrics: mean ms of the commands behind each call. `infraRun` is
   * `runc run` of the infra process and `cniAdd` the plugins of one pod (the two overlap
   * inside RunPodSandbox); `create` is conmon + `runc create`; `start` is `runc start`.
   */
  execMeanMs?: { infraRun?: number; cniAdd: number; create?: number; start?: number };
  /** skiff only: mean ms of each call inside skiff (its own metrics), without client and transport. */
  serverMeanMs?: { run?: number; create?: number; start?: number };
};

function latency(samples: number[]): Latency {
  const s = Float64Array.from(samples).sort();
  const sum = s.reduce((a, b) => a + b, 0);
  return { p50: percentile(s, 50), p95: percentile(s, 95), mean: sum / s.length, min: s[0]!, max: s[s.length - 1]! };
}

/** One runtime under test: its daemon, a client, and what was measured so far. */
type Bench = {
  name: RuntimeName;
  target: PodBenchTarget;
  client: CriClient;
  untrack: () => void;
  result: RuntimeResult;
  samples: { run: number[]; create: number[]; start: number[]; total: number[] };
  daemonIdle: Rss;
};

/** Starts a runtime, pulls the images (not timed) and reads its idle RSS. */
async function prepare(name: RuntimeName, registryHost: string, images: { busybox: string; pause: string }): Promise<Bench> {
  const target = await startPodTarget(name, registryHost, images.pause);
  const untrack = onCleanup(`stop ${name} and its pods`, () => target.stop());
  const client = createCriClient(target.daemon.endpoint, { timeoutMs: 120_000 });
  const b: Bench = {
    name, target, client, untrack,
    result: { runtimeVersion: target.daemon.version.runtimeVersion, podsStarted: 0 },
    samples: { run: [], create: [], start: [], total: [] },
    daemonIdle: { rssKiB: 0, hwmKiB: 0, anonKiB: 0, fileKiB: 0 },
  };
  try {
    await waitRuntimeReady(client);
    // Images are in place before the clock starts: this measures starts, not pulls.
    await client.image.pullImage({ image: { image: images.busybox } });
    if (name === "containerd") await client.image.pullImage({ image: { image: images.pause } });
  } catch (err) {
    await finish(b, err);
    throw err;
  }
  return b;
}

/** Starts pods `from` to `to - 1` on one runtime, timing each call. */
async function startPods(b: Bench, from: number, to: number, image: string, logRoot: string): Promise<void> {
  for (let i = from; i < to; i++) {
    const s = await startBenchPod(b.client, i, image, path.join(logRoot, b.name));
    b.samples.run.push(s.runMs);
    b.samples.create.push(s.createMs);
    b.samples.start.push(s.startMs);
    b.samples.total.push(s.totalMs);
    b.result.podsStarted++;
  }
}

/** Reads the RSS with pods, removes the pods and stops the runtime; records `err` if given. */
async function finish(b: Bench, err?: unknown): Promise<void> {
  try {
    if (err !== undefined) throw err;
    const t = b.samples;
    b.result.latencyMs = { run: latency(t.run), create: latency(t.create), start: latency(t.start), total: latency(t.total) };
    if (b.target.metricsUrl) {
      const { exec: x, cri } = await fetchTotals(b.target.metricsUrl);
      b.result.execMeanMs = { infraRun: meanMs(x, "runc run"), cniAdd: cniMsPerPod(x, "ADD", b.result.podsStarted), create: meanMs(x, "runc create"), start: meanMs(x, "runc start") };
      b.result.serverMeanMs = { run: meanMs(cri, "RunPodSandbox"), create: meanMs(cri, "CreateContainer"), start: meanMs(cri, "StartContainer") };
    }
    const daemonWithPods = readRss(b.target.daemon.pid).rssKiB;
    const pids = monitorPids(b.target.monitorComm, b.target.monitorMarker);
    const monitors = sumRssKiB(pids);
    b.result.rssKiB = {
      daemonIdle: b.daemonIdle.rssKiB,
      daemonIdleAnon: b.daemonIdle.anonKiB,
      daemonIdleFile: b.daemonIdle.fileKiB,
      daemonWithPods,
      monitors,
      monitorCount: pids.length,
      perPodOverhead: (daemonWithPods - b.daemonIdle.rssKiB + monitors) / N,
    };
    console.error(`${b.name}: removing the pods ...`);
    b.result.removeAllMs = (await removeAllPods(b.client)).ms;
  } catch (e) {
    b.result.error = `${b.name}: ${describeError(e)}`;
    console.error(`${b.result.error} (after ${b.result.podsStarted} pods)`);
  } finally {
    b.client.close();
    b.untrack();
    await b.target.stop();
  }
}

/**
 * Both runtimes run at once and take turns: ROUND pods on one, then ROUND on the other,
 * the order flipped every round. This machine's speed drifts by tens of percent over a
 * minute (it is a VM on a shared host), so blocks run one after the other would compare
 * different machines; taking turns gives both the same drift. The idle one does nothing
 * meanwhile but hold its pods.
 */
async function benchAll(registryHost: string, images: { busybox: string; pause: string }, logRoot: string): Promise<Partial<Record<RuntimeName, RuntimeResult>>> {
  const benches: Bench[] = [];
  const results: Partial<Record<RuntimeName, RuntimeResult>> = {};
  try {
    for (const r of runtimes) benches.push(await prepare(r, registryHost, images));
  } catch (err) {
    for (const b of benches) await finish(b, err);
    throw err;
  }
  await Bun.sleep(SETTLE_MS);
  for (const b of benches) b.daemonIdle = readRss(b.target.daemon.pid);
  const failed = new Map<Bench, unknown>();
  console.error(`starting ${N} pods on each of ${runtimes.join(", ")}, ${ROUND} at a time in turn ...`);
  for (let from = 0, round = 0; from < N; from += ROUND, round++) {
    const order = round % 2 === 0 ? benches : [...benches].reverse();
    for (const b of order) {
      if (failed.has(b)) continue;
      try {
        await startPods(b, from, Math.min(N, from + ROUND), images.busybox, logRoot);
      } catch (err) {
        failed.set(b, err);
      }
    }
  }
  await Bun.sleep(SETTLE_MS);
  for (const b of benches) {
    await finish(b, failed.get(b));
    results[b.name] = b.result;
  }
  return results;
}

function printTable(results: Partial<Record<RuntimeName, RuntimeResult>>): void {
  const ms = (v?: number) => (v === undefined ? "-" : v.toFixed(1));
  const rows = runtimes.map((r) => {
    const x = results[r]!;
    const l = x.latencyMs;
    const m = x.rssKiB;
    return [r, x.podsStarted, ms(l?.total.p50), ms(l?.total.p95), ms(l?.run.p50), ms(l?.create.p50), ms(l?.start.p50),
      m ? mib(m.daemonIdle) : "-", m ? `${mib(m.daemonIdleAnon)} / ${mib(m.daemonIdleFile)}` : "-", m ? mib(m.daemonWithPods) : "-", m ? m.monitorCount : "-", m ? mib(m.monitors) : "-",
      m ? mib(m.perPodOverhead) : "-"];
  });
  console.log(`\nPod start: RunPodSandbox + CreateContainer + StartContainer, ${N} pods one after another (ms; RSS in MiB)`);
  console.log(table(["runtime", "pods", "p50", "p95", "run p50", "create p50", "start p50", "daemon idle", "idle anon / file", `daemon +${N}`, "monitors", "monitor RSS", "per pod"], rows));
  for (const r of runtimes) if (results[r]?.error) console.log(`${r}: FAILED: ${results[r]!.error}`);
  const s = results.skiff;
  const x = s?.execMeanMs;
  const l = s?.latencyMs;
  const sv = s?.serverMeanMs;
  if (x && l && sv) {
    const less = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "-" : ms(a - b));
    const runFloor = Math.max(x.infraRun ?? 0, x.cniAdd);
    console.log("\nskiff, where a pod start goes (means, ms; from skiff_exec_seconds and skiff_cri_request_seconds):");
    console.log(table(["call", "at the client", "in skiff", "runtime (+conmon)", "CNI plugins", "skiff's own", "client + transport"], [
      ["RunPodSandbox", ms(l.run.mean), ms(sv.run), `${ms(x.infraRun)} (runc run)`, ms(x.cniAdd), `${less(sv.run, runFloor)} (beyond the longer)`, less(l.run.mean, sv.run)],
      ["CreateContainer", ms(l.create.mean), ms(sv.create), `${ms(x.create)} (conmon + runc create)`, "-", less(sv.create, x.create), less(l.create.mean, sv.create)],
      ["StartContainer", ms(l.start.mean), ms(sv.start), `${ms(x.start)} (runc start)`, "-", less(sv.start, x.start), less(l.start.mean, sv.start)],
    ]));
  }
}

async function main(): Promise<void> {
  const benchStart = performance.now();
  const loadAtStart = warnIfLoaded();
  if (runtimes.includes("skiff")) await ensureSkiffBinary({ build: args.rebuild ? "always" : "if-missing" });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-bench-pods-"));
  onCleanup("remove pod logs", () => fs.rmSync(work, { recursive: true, force: true }));
  const registry = await startRegistry();
  onCleanup("stop registry", () => registry.stop());
  const images = await pushPodImages(registry.host);
  const results: Partial<Record<RuntimeName, RuntimeResult>> = {};
  try {
    Object.assign(results, await benchAll(registry.host, images, work));
  } finally {
    await runCleanups();
  }
  printTable(results);

  const report = {
    benchmark: "pods",
    date: new Date().toISOString(),
    durationSec: (performance.now() - benchStart) / 1000,
    host: hostReport(loadAtStart),
    versions: {
      bun: Bun.version,
      containerd: runtimes.includes("containerd") ? await containerdVersion() : undefined,
      skiff: runtimes.includes("skiff") ? { runtimeVersion: results.skiff?.runtimeVersion, binary: process.env.SKIFF_BIN ?? "dist/skiff-linux-x64" } : undefined,
      runc: Bun.spawnSync(["runc", "--version"], { stdout: "pipe" }).stdout.toString().split("\n")[0],
    },
    method: {
      pods: N,
      order: `both runtimes up at once, taking turns ${ROUND} pods at a time (order flipped each round); pods started sequentially, one in flight`,
      client: "skiff src/cli/cri-client.ts (connect-es gRPC over h2c on the unix socket)",
      timed: "RunPodSandbox, CreateContainer, StartContainer of each pod, each with performance.now(); images pulled before",
      container: "busybox (static, from a local registry) running `sleep 3600`",
      sandbox: "containerd: sandbox_image = catatonit -P image from the local registry, pulled first; skiff: its built-in catatonit infra",
      network: "CNI bridge per runtime (same conflist apart from name, bridge and 10.x /24), host-local IPAM, portmap, loopback, ipMasq false",
      rss: `VmRSS from /proc; daemon idle read ${SETTLE_MS} ms after the pulls, with pods read ${SETTLE_MS} ms after the last start; monitors = containerd-shim-runc-v2 (containerd) / conmon (skiff) processes of that daemon`,
      perPodOverhead: "(daemon RSS with pods - daemon idle RSS + sum of monitor RSS) / pods",
      percentiles: "nearest rank",
    },
    results,
  };
  writeReport(REPO, "pods", report, args.out);
}

runBench(main);
