#!/usr/bin/env bun
/**
 * Load and soak benchmark, skiff and containerd in the same run, both with runc, both
 * driven by skiff's own CRI client:
 *
 *   bun bench/load.ts [--pods 100] [--containers 5] [--soak-minutes 5] [--list-calls 100]
 *                     [--runtimes containerd,skiff] [--rebuild] [--out FILE]
 *
 * 1. Start under load: per runtime in turn (the other idle), `--pods` pods started all at
 *    once (RunPodSandbox + CreateContainer + StartContainer each) while a kubelet-shaped
 *    poller calls ListPodSandbox, ListContainers, ListContainerStats and
 *    ListPodSandboxStats every second. Per-pod start latency p50/p99.
 * 2. Soak: both runtimes hold their idle pods and are polled every second for
 *    `--soak-minutes`; daemon RSS (every 5 s) and CPU.
 * 3. Lists at scale: each pod gets more containers, up to `--containers` per pod (500 by
 *    default), then each List method `--list-calls` times (at most 60 s per runtime per
 *    method), one in flight, the runtimes taking turns in rounds. p50/p99 (the goal for
 *    skiff: p99 under 20 ms), and the daemon's CPU time per call.
 * Writes bench/results/load-<date>.json.
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
import { LIST_METHODS, type ListMethod, type Usage, addContainer, inBatches, removeCgroupTree, sampleUsage, startPoller, timedList } from "./lib/load-calls.ts";
import { POD_RUNTIMES, type PodRuntimeName, startPodTarget, waitRuntimeReady } from "./lib/pod-targets.ts";
import type { PodBenchTarget } from "./lib/pods-skiff.ts";
import { monitorPids, removeAllPods, startBenchPod, sumRssKiB } from "./lib/pods-run.ts";
import { REPO, ensureSkiffBinary } from "./lib/skiff.ts";
import { hostReport, readCpuMs, writeReport, summarize, table, warnIfLoaded } from "./lib/stats.ts";

const { values: args } = parseArgs({
  options: {
    pods: { type: "string", default: "100" },
    containers: { type: "string", default: "5" },
    "soak-minutes": { type: "string", default: "5" },
    "list-calls": { type: "string", default: "100" },
    runtimes: { type: "string", default: POD_RUNTIMES.join(",") },
    rebuild: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
const USAGE = "usage: bun bench/load.ts [--pods 100] [--containers 5] [--soak-minutes 5] [--list-calls 100] [--runtimes containerd,skiff] [--rebuild] [--out FILE]";
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
function positive(name: string, v: string | undefined, integer = true): number {
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    console.error(`load.ts: --${name} must be a positive ${integer ? "integer" : "number"}, got "${v}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const PODS = positive("pods", args.pods);
const CONTAINERS = positive("containers", args.containers);
const SOAK_MS = positive("soak-minutes", args["soak-minutes"], false) * 60_000;
const LIST_CALLS = positive("list-calls", args["list-calls"]);
const selected = args.runtimes!.split(",").map((s) => s.trim());
const runtimes = POD_RUNTIMES.filter((r) => selected.includes(r));
if (runtimes.length === 0 || selected.some((r) => !(POD_RUNTIMES as readonly string[]).includes(r))) {
  console.error(`load.ts: --runtimes takes ${POD_RUNTIMES.join(", ")}\n${USAGE}`);
  process.exit(2);
}
/** List calls per runtime per turn, so drift over the run lands on both. */
const LIST_ROUND = 10;
/** Time one runtime may spend on one List method; past it, its remaining calls are skipped (containerd 1.6 takes seconds per ListPodSandboxStats at 500 containers). */
const LIST_BUDGET_MS = 60_000;

type Ms = ReturnType<typeof summarize>;
type Result = {
  runtimeVersion?: string;
  error?: string;
  start?: { wallMs: number; perPod: Ms; pollerFailures: string[]; pollerMs: Partial<Record<ListMethod, Ms>> };
  soak?: { minutes: number; rssMiB: { start: number; end: number; max: number }; cpuPercent: number; monitorsMiB: number; pollerFailures: string[]; pollerMs: Partial<Record<ListMethod, Ms>> };
  /** `daemonCpuMs`: the daemon's CPU time per call (user + system), which the machine's other load does not inflate. */
  lists?: { containers: number; ms: Partial<Record<ListMethod, Ms>>; daemonCpuMs: Partial<Record<ListMethod, number>>; failures: string[] };
  removeAllMs?: number;
};
type Bench = {
  name: PodRuntimeName;
  target: PodBenchTarget;
  client: CriClient;
  /** The cgroup every pod's cgroup goes under, as the kubelet's kubepods. */
  cgroupParent: string;
  pods: string[];
  result: Result;
  lists: Record<ListMethod, number[]>;
  listCpuMs: Record<ListMethod, number>;
  listFailures: string[];
};

const summaries = (s: Record<ListMethod, number[]>) => Object.fromEntries(LIST_METHODS.filter((m) => s[m].length > 0).map((m) => [m, summarize(s[m])]));

async function prepare(name: PodRuntimeName, registryHost: string, images: { busybox: string; pause: string }): Promise<Bench> {
  const cgroupParent = `/skiff-bench-load-${name}-${process.pid}`;
  // Registered first so it runs last, once the runtime removed its pods.
  onCleanup(`remove ${cgroupParent}`, () => {
    for (const dir of removeCgroupTree(cgroupParent)) console.error(`cgroup left behind: ${dir}`);
  });
  const target = await startPodTarget(name, registryHost, images.pause);
  onCleanup(`stop ${name} and its pods`, () => target.stop());
  const client = createCriClient(target.daemon.endpoint, { timeoutMs: 300_000 });
  await waitRuntimeReady(client);
  await client.image.pullImage({ image: { image: images.busybox } });
  if (name === "containerd") await client.image.pullImage({ image: { image: images.pause } });
  const lists = { listPodSandbox: [], listContainers: [], listContainerStats: [], listPodSandboxStats: [] };
  return { name, target, client, cgroupParent, pods: [], listFailures: [], listCpuMs: { listPodSandbox: 0, listContainers: 0, listContainerStats: 0, listPodSandboxStats: 0 }, result: { runtimeVersion: target.daemon.version.runtimeVersion }, lists };
}

/** Phase 1: all pods at once, under the poller. */
async function startUnderLoad(b: Bench, image: string, logRoot: string): Promise<void> {
  console.error(`${b.name}: starting ${PODS} pods at once under the poller ...`);
  const poller = startPoller(b.client);
  const t0 = performance.now();
  const started = await Promise.all(Array.from({ length: PODS }, (_, i) => startBenchPod(b.client, i, image, logRoot, b.cgroupParent)));
  const wallMs = performance.now() - t0;
  await poller.stop();
  b.pods = started.map((s) => s.podId);
  b.result.start = { wallMs, perPod: summarize(started.map((s) => s.totalMs)), pollerFailures: poller.failures, pollerMs: summaries(poller.samples) };
}

/** Phase 2: every runtime polled at once for the soak time, its daemon sampled. */
async function soak(benches: Bench[]): Promise<void> {
  console.error(`soak: polling ${benches.map((b) => b.name).join(" and ")} every second for ${SOAK_MS / 60_000} min ...`);
  const runs = benches.map((b) => ({ b, poller: startPoller(b.client), usage: sampleUsage(b.target.daemon.pid) }));
  await Bun.sleep(SOAK_MS);
  for (const { b, poller, usage } of runs) {
    await poller.stop();
    const u: Usage = usage.stop();
    const monitors = sumRssKiB(monitorPids(b.target.monitorComm, b.target.monitorMarker));
    b.result.soak = {
      minutes: SOAK_MS / 60_000,
      rssMiB: { start: u.rssKiB[0]! / 1024, end: u.rssKiB.at(-1)! / 1024, max: Math.max(...u.rssKiB) / 1024 },
      cpuPercent: (u.cpuMs / u.wallMs) * 100,
      monitorsMiB: monitors / 1024,
      pollerFailures: poller.failures,
      pollerMs: summaries(poller.samples),
    };
  }
}

/** Phase 3: grow to CONTAINERS per pod, then time the List calls, runtimes taking turns. */
async function listsAtScale(benches: Bench[], image: string, logRoot: string): Promise<void> {
  for (const b of benches) {
    console.error(`${b.name}: growing to ${PODS * CONTAINERS} containers ...`);
    const work = b.pods.flatMap((pod, i) => Array.from({ length: CONTAINERS - 1 }, (_, k) => ({ pod, i, k: k + 1 })));
    await inBatches(work, 10, ({ pod, i, k }) => addContainer(b.client, pod, i, k, image, path.join(logRoot, b.name), b.cgroupParent));
  }
  // One method at a time, the cheap ones first: the stats calls start layer walks that
  // run on behind them, and must not land in the figures of the calls after.
  for (const m of LIST_METHODS) {
    const spent = new Map<Bench, number>();
    for (let done = 0, round = 0; done < LIST_CALLS; done += LIST_ROUND, round++) {
      for (const b of round % 2 === 0 ? benches : [...benches].reverse()) {
        // A runtime past its time budget for this method sits the rest out.
        if ((spent.get(b) ?? 0) > LIST_BUDGET_MS) continue;
        const cpu0 = readCpuMs(b.target.daemon.pid);
        const t0 = performance.now();
        for (let i = done; i < Math.min(LIST_CALLS, done + LIST_ROUND); i++) {
          await timedList(b.client, m).then((ms) => b.lists[m].push(ms), (err: Error) => b.listFailures.push(`${m}: ${err.message}`));
        }
        spent.set(b, (spent.get(b) ?? 0) + performance.now() - t0);
        b.listCpuMs[m] += readCpuMs(b.target.daemon.pid) - cpu0;
      }
    }
  }
  for (const b of benches) {
    const daemonCpuMs = Object.fromEntries(LIST_METHODS.map((m) => [m, b.listCpuMs[m] / Math.max(1, b.lists[m].length)]));
    b.result.lists = { containers: PODS * CONTAINERS, ms: summaries(b.lists), daemonCpuMs, failures: b.listFailures };
  }
}

function printTables(results: Partial<Record<PodRuntimeName, Result>>): void {
  const f = (v?: number) => (v === undefined ? "-" : v.toFixed(1));
  console.log(`\nPod start under load: ${PODS} pods at once, a poller listing every second (ms)`);
  console.log(table(["runtime", "wall", "p50", "p99", "max", "poller failures", "poller p99 (stats)"], runtimes.map((r) => {
    const s = results[r]?.start;
    return [r, f(s?.wallMs), f(s?.perPod.p50), f(s?.perPod.p99), f(s?.perPod.max), s ? s.pollerFailures.length : "-", f(s?.pollerMs.listPodSandboxStats?.p99)];
  })));
  console.log(`\nSoak: ${PODS} idle pods polled every second (RSS MiB, CPU % of one core)`);
  console.log(table(["runtime", "minutes", "RSS start", "RSS end", "RSS max", "CPU %", "monitors RSS", "poller failures"], runtimes.map((r) => {
    const s = results[r]?.soak;
    return [r, f(s?.minutes), f(s?.rssMiB.start), f(s?.rssMiB.end), f(s?.rssMiB.max), s ? s.cpuPercent.toFixed(2) : "-", f(s?.monitorsMiB), s ? s.pollerFailures.length : "-"];
  })));
  console.log(`\nList calls with ${PODS * CONTAINERS} containers in ${PODS} pods, one in flight (ms, p50 / p99)`);
  console.log(table(["runtime", ...LIST_METHODS, "failures"], runtimes.map((r) => {
    const l = results[r]?.lists;
    return [r, ...LIST_METHODS.map((m) => (l?.ms[m] ? `${f(l.ms[m]!.p50)} / ${f(l.ms[m]!.p99)}` : "-")), l ? l.failures.length : "-"];
  })));
  console.log("\nThe same calls: daemon CPU time per call (ms; not inflated by other load on the machine)");
  console.log(table(["runtime", ...LIST_METHODS], runtimes.map((r) => [r, ...LIST_METHODS.map((m) => f(results[r]?.lists?.daemonCpuMs[m]))])));
  for (const r of runtimes) if (results[r]?.error) console.log(`${r}: FAILED: ${results[r]!.error}`);
}

async function main(): Promise<void> {
  const benchStart = performance.now();
  const loadAtStart = warnIfLoaded();
  if (runtimes.includes("skiff")) await ensureSkiffBinary({ build: args.rebuild ? "always" : "if-missing" });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-bench-load-"));
  onCleanup("remove pod logs", () => fs.rmSync(work, { recursive: true, force: true }));
  const registry = await startRegistry();
  onCleanup("stop registry", () => registry.stop());
  const images = await pushPodImages(registry.host);
  const benches: Bench[] = [];
  const results: Partial<Record<PodRuntimeName, Result>> = {};
  try {
    for (const r of runtimes) benches.push(await prepare(r, registry.host, images));
    for (const b of benches) results[b.name] = b.result;
    for (const b of benches) await startUnderLoad(b, images.busybox, path.join(work, b.name));
    await soak(benches);
    await listsAtScale(benches, images.busybox, work);
    for (const b of benches) {
      console.error(`${b.name}: removing the pods ...`);
      b.result.removeAllMs = (await removeAllPods(b.client)).ms;
    }
  } catch (err) {
    for (const b of benches) b.result.error ??= describeError(err);
    console.error(describeError(err));
  } finally {
    for (const b of benches) b.client.close();
    await runCleanups();
  }
  printTables(results);
  const report = {
    benchmark: "load",
    date: new Date().toISOString(),
    durationSec: (performance.now() - benchStart) / 1000,
    host: hostReport(loadAtStart),
    versions: { bun: Bun.version, containerd: runtimes.includes("containerd") ? await containerdVersion() : undefined, skiff: results.skiff?.runtimeVersion },
    method: {
      pods: PODS,
      containersPerPod: CONTAINERS,
      soakMinutes: SOAK_MS / 60_000,
      listCalls: LIST_CALLS,
      client: "skiff src/cli/cri-client.ts (connect-es gRPC over h2c on the unix socket)",
      start: "per runtime in turn: all pods at once, each RunPodSandbox + CreateContainer + StartContainer of busybox `sleep 3600`, timed per pod; a poller on the same runtime calls the four List calls at once every second",
      soak: "both runtimes at once, each polled every second; daemon VmRSS every 5 s, CPU from /proc/<pid>/stat over the soak (% of one core); monitors = conmon (skiff) / containerd-shim (containerd) RSS at the end",
      lists: `containers added 10 at a time up to ${CONTAINERS} per pod, then each List method in turn, its calls one in flight, ${LIST_ROUND} per turn, runtimes taking turns with the order flipped each round; a runtime stops after ${LIST_BUDGET_MS / 1000} s on one method (count in ms.<method>.count)`,
      percentiles: "nearest rank",
    },
    results,
  };
  writeReport(REPO, "load", report, args.out);
}

runBench(main);
