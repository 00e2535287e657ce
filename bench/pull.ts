#!/usr/bin/env bun
/**
 * Image pull benchmark: a cold CRI PullImage of one large image (6 layers, ~200 MiB
 * compressed, ~16,000 files) from a registry on 127.0.0.1, skiff against containerd in
 * the same run, both driven by skiff's own CRI client.
 *
 *   bun bench/pull.ts [--rounds 3] [--runtimes skiff,containerd] [--rebuild]
 *                     [--scale 1] [--fs scratch|tmpdir] [--skip-phases] [--skip-baseline]
 *                     [--out FILE]
 *
 * 1. Builds the image in memory from a seeded PRNG (bench/lib/synthetic-image.ts) and
 *    pushes it to a private docker-registry (Debian `docker-registry`) on 127.0.0.1.
 * 2. For each round, the runtimes take turns (order flipped every round). Each turn
 *    starts the runtime fresh in an empty temp dir (truly cold: no blobs, no snapshots,
 *    no metadata) on a freshly made ext4 filesystem of its own (bench/lib/scratch-fs.ts;
 *    --fs tmpdir uses $TMPDIR instead), waits 1 s, runs `sync`, then times PullImage from the call to the
 *    answer while sampling the daemon's VmRSS every 50 ms. After the answer: VmHWM,
 *    daemon CPU, the time a `sync` then takes (the writeback the pull left behind), the
 *    disk usage of the runtime's root (du), the time RemoveImage takes and what it
 *    leaves on disk; then the daemon is stopped and its temp dir removed.
 * 3. Unless --skip-phases: one more cold skiff pull, not counted in the figures above,
 *    with a skiff.v1.Images/WatchPull stream open, to show where skiff's time goes
 *    (download and unpack of each layer).
 * 4. Unless --skip-baseline: the same layers unpacked by GNU tar (`tar -xzf`, one after
 *    another) and gunzipped by Bun's zlib, no runtime involved: this machine's floor for
 *    a single-threaded unpacker.
 * Prints tables and writes bench/results/pull-<date>.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type CriClient, createCriClient } from "../src/cli/cri-client.ts";
import { startRegistry, type TestRegistry } from "../test/support/registry.ts";
import { pushImage } from "../test/support/images.ts";
import { onCleanup, runBench, runCleanups } from "./lib/cleanup.ts";
import { containerdVersion, startContainerd } from "./lib/containerd.ts";
import { logTail, type RunningDaemon } from "./lib/daemon.ts";
import { createScratchFs } from "./lib/scratch-fs.ts";
import { createSkiffImagesClient } from "./lib/skiff-images.ts";
import { REPO, ensureSkiffBinary, startSkiff } from "./lib/skiff.ts";
import { mib, readChildrenCpuMs, readCpuSplitMs, readHostCpuMs, readRss, sampleRss, table, hostReport, writeReport, warnIfLoaded } from "./lib/stats.ts";
import { buildSyntheticImage, type SyntheticImage } from "./lib/synthetic-image.ts";

const RUNTIMES = ["skiff", "containerd"] as const;
type RuntimeName = (typeof RUNTIMES)[number];

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    runtimes: { type: "string", default: RUNTIMES.join(",") },
    rebuild: { type: "boolean", default: false },
    scale: { type: "string", default: "1" },
    "skip-phases": { type: "boolean", default: false },
    "skip-baseline": { type: "boolean", default: false },
    fs: { type: "string", default: "scratch" },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log("usage: bun bench/pull.ts [--rounds 3] [--runtimes skiff,containerd] [--rebuild] [--scale 1] [--fs scratch|tmpdir] [--skip-phases] [--skip-baseline] [--out FILE]");
  process.exit(0);
}
const ROUNDS = positiveInt("rounds", args.rounds!);
const SCALE = Number(args.scale);
if (!(SCALE > 0 && SCALE <= 4)) usage(`--scale must be a number in (0, 4], got "${args.scale}"`);
const selected = args.runtimes!.split(",").map((s) => s.trim()).filter(Boolean);
for (const r of selected) if (!(RUNTIMES as readonly string[]).includes(r)) usage(`unknown runtime "${r}" (known: ${RUNTIMES.join(", ")})`);
const runtimes = RUNTIMES.filter((r) => selected.includes(r));
const FS_MODE = args.fs!;
if (FS_MODE !== "scratch" && FS_MODE !== "tmpdir") usage(`--fs must be "scratch" or "tmpdir", got "${FS_MODE}"`);

/** Per-call deadline of the client: a pull that takes longer than this is a failure. */
const PULL_TIMEOUT_MS = 10 * 60_000;
const RSS_INTERVAL_MS = 50;
/** Pause between a daemon's start and its pull, so start-up work is over. */
const SETTLE_MS = 1000;
/** The goal stated for skiff: at least this many times containerd's pull speed. */
const GOAL_SPEEDUP = 1.5;
const REPOSITORY = "bench/pull";
const TAG = "v1";

function positiveInt(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) usage(`--${name} must be a positive integer, got "${raw}"`);
  return v;
}
function usage(msg: string): never {
  console.error(`pull.ts: ${msg}`);
  process.exit(2);
}

/** Disk usage of a directory: what it occupies on disk and its apparent size, bytes. */
type DiskUsage = { bytes: number; apparentBytes: number; parts: Record<string, number> };

/** One timed pull by one runtime. */
type PullRun = {
  round: number;
  runtime: RuntimeName;
  /** Position in the round (0 = went first). */
  order: number;
  startMs: number;
  ok: boolean;
  error?: string;
  /** Call to answer, as the client saw it. */
  wallMs?: number;
  /** skiff only: the duration skiff logged for the pull ("pulled ... in Nms"). */
  serverMs?: number;
  imageRef?: string;
  /** RSS (KiB) of the daemon process before the pull, sampled peak during it, VmHWM after. */
  rssIdleKiB?: number;
  rssPeakKiB?: number;
  /** Peak of the daemon plus its child processes (e.g. unpigz for containerd when installed). */
  rssTreePeakKiB?: number;
  hwmKiB?: number;
  rssSamples?: number;
  /** Daemon CPU during the pull (its threads), ms, split into user and system; and of children it reaped meanwhile. */
  cpuMs?: number;
  userMs?: number;
  sysMs?: number;
  childCpuMs?: number;
  /** The whole machine's busy CPU during the pull over its wall time, in cores: daemon + registry + client + anything else. */
  hostBusyCores?: number;
  loadavg1AtStart?: number;
  /** Time a `sync` took right after the answer: writeback of what the pull left dirty. */
  syncAfterMs?: number;
  disk?: DiskUsage;
  removeMs?: number;
  diskAfterRemove?: DiskUsage;
};

function sh(argv: string[]): string {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${p.stderr.toString().trim()}`);
  return p.stdout.toString();
}

function syncDisks(): number {
  const t0 = performance.now();
  sh(["sync"]);
  return performance.now() - t0;
}

function diskUsage(dir: string): DiskUsage {
  const first = (out: string) => Number(out.trim().split(/\s+/)[0]);
  const parts: Record<string, number> = {};
  for (const e of fs.readdirSync(dir)) parts[e] = first(sh(["du", "-s", "-B1", path.join(dir, e)]));
  return { bytes: first(sh(["du", "-s", "-B1", dir])), apparentBytes: first(sh(["du", "-s", "-b", dir])), parts };
}

/** The duration skiff logged for its last pull, if it logged one. */
function skiffLoggedPullMs(logPath: string): number | undefined {
  const text = fs.readFileSync(logPath, "utf8");
  const all = [...text.matchAll(/pulled \S+ as \S+ in (\d+)ms/g)];
  const last = all[all.length - 1];
  return last ? Number(last[1]) : undefined;
}

/** What the measurements ran on, for the report. */
let fsDescription = "";

/**
 * Runs `fn` with a directory to put a runtime's temp dir in: a new scratch filesystem
 * (removed afterwards) or, with --fs tmpdir, the OS temp dir.
 */
async function onFreshFs<T>(fn: (tmpRoot: string) => Promise<T>): Promise<T> {
  if (FS_MODE === "tmpdir") {
    fsDescription = `${sh(["findmnt", "-n", "-o", "FSTYPE,SOURCE,OPTIONS", "--target", os.tmpdir()]).trim()} (the OS temp dir, shared with everything else)`;
    return fn(os.tmpdir());
  }
  const scratch = await createScratchFs({ sizeGiB: 4 });
  fsDescription = `${scratch.describe}; a new one for every pull`;
  try {
    return await fn(scratch.dir);
  } finally {
    await scratch.remove();
  }
}

/** Starts one runtime, configured to pull from the bench registry over plain HTTP. */
async function startRuntime(name: RuntimeName, registry: TestRegistry, tmpRoot: string): Promise<{ daemon: RunningDaemon; startMs: number }> {
  const t0 = performance.now();
  let daemon: RunningDaemon;
  if (name === "skiff") {
    daemon = await startSkiff({ build: "never", tmpRoot, extraConfig: `\n[registry.hosts."${registry.host}"]\nplain_http = true\n` });
  } else {
    // containerd 1.6: the CRI plugin's registry.config_path (hosts.toml per host); the
    // older registry.mirrors table still works in 1.6 but is deprecated. The overlayfs
    // snapshotter is containerd's default; say so anyway, and check it after the pull.
    const cri = `plugins."io.containerd.grpc.v1.cri"`;
    daemon = await startContainerd({
      tmpRoot,
      files: {
        [`certs.d/${registry.host}/hosts.toml`]: `server = "${registry.url}"\n\n[host."${registry.url}"]\n  capabilities = ["pull", "resolve"]\n`,
      },
      extraConfig: (dir) =>
        `\n  [${cri}.containerd]\n    snapshotter = "overlayfs"\n\n  [${cri}.registry]\n    config_path = ${JSON.stringify(path.join(dir, "certs.d"))}\n`,
    });
  }
  return { daemon, startMs: performance.now() - t0 };
}

/** One cold pull: fresh daemon, timed PullImage, measurements, RemoveImage, stop. */
async function coldPull(name: RuntimeName, round: number, order: number, registry: TestRegistry, ref: string, img: SyntheticImage, tmpRoot: string): Promise<PullRun> {
  const { daemon, startMs } = await startRuntime(name, registry, tmpRoot);
  const client = createCriClient(daemon.endpoint, { timeoutMs: PULL_TIMEOUT_MS });
  const run: PullRun = { round, runtime: name, order, startMs, ok: false };
  try {
    await Bun.sleep(SETTLE_MS);
    syncDisks();
    run.rssIdleKiB = readRss(daemon.pid).rssKiB;
    run.loadavg1AtStart = os.loadavg()[0];
    const cpu0 = readCpuSplitMs(daemon.pid);
    const childCpu0 = readChildrenCpuMs(daemon.pid);
    const host0 = readHostCpuMs();
    const sampler = sampleRss(daemon.pid, RSS_INTERVAL_MS);
    const t0 = performance.now();
    let answer: { imageRef: string } | undefined;
    try {
      answer = await client.image.pullImage({ image: { image: ref } });
    } finally {
      const wall = performance.now() - t0;
      const s = sampler.stop();
      run.wallMs = wall;
      run.rssPeakKiB = s.peakRssKiB;
      run.rssTreePeakKiB = s.peakTreeRssKiB;
      run.rssSamples = s.samples;
    }
    run.hwmKiB = readRss(daemon.pid).hwmKiB;
    const cpu1 = readCpuSplitMs(daemon.pid);
    run.userMs = cpu1.userMs - cpu0.userMs;
    run.sysMs = cpu1.sysMs - cpu0.sysMs;
    run.cpuMs = run.userMs + run.sysMs;
    run.childCpuMs = readChildrenCpuMs(daemon.pid) - childCpu0;
    run.hostBusyCores = (readHostCpuMs().busyMs - host0.busyMs) / run.wallMs!;
    run.syncAfterMs = syncDisks();
    run.imageRef = answer.imageRef;
    if (name === "skiff") run.serverMs = skiffLoggedPullMs(daemon.logPath);
    if (answer.imageRef !== img.image.configDigest) {
      throw new Error(`PullImage answered image_ref ${answer.imageRef}, expected the config digest ${img.image.configDigest}`);
    }
    const root = path.join(daemon.dir, "root");
    run.disk = diskUsage(root);
    if (name === "containerd") {
      const overlay = run.disk.parts["io.containerd.snapshotter.v1.overlayfs"] ?? 0;
      if (overlay < img.layers.reduce((n, l) => n + l.size, 0)) {
        throw new Error(`containerd's overlayfs snapshotter dir holds only ${overlay} bytes: was another snapshotter used?`);
      }
    }
    const r0 = performance.now();
    await client.image.removeImage({ image: { image: ref } });
    run.removeMs = performance.now() - r0;
    run.diskAfterRemove = diskUsage(root);
    run.ok = true;
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    // The log is the clue; the temp dir goes with the daemon, so keep a copy.
    const saved = path.join(os.tmpdir(), `skiff-bench-pull-${name}-failed.log`);
    try {
      fs.copyFileSync(daemon.logPath, saved);
    } catch {
      // nothing to keep
    }
    console.error(`${name}: round ${round + 1} failed: ${run.error}\n--- last lines of its log (copy: ${saved}) ---\n${logTail(daemon.logPath, 30)}`);
  } finally {
    client.close();
    await daemon.stop();
  }
  return run;
}

/** What WatchPull showed of one layer, ms since the PullImage call. */
type LayerPhase = {
  digest: string;
  size: number;
  tarSize: number;
  firstByteAt?: number;
  downloadedAt?: number;
  unpackedAt?: number;
  /** From when both its blob and the layer below were ready to when it was unpacked. */
  unpackMs?: number;
};
type Phases = { wallMs: number; resolvedAt?: number; doneAt?: number; layers: LayerPhase[]; userMs: number; sysMs: number; error?: string };

/** A cold skiff pull with a WatchPull stream open, recording when each event arrived. */
async function skiffPhases(registry: TestRegistry, ref: string, img: SyntheticImage, tmpRoot: string): Promise<Phases> {
  const { daemon } = await startRuntime("skiff", registry, tmpRoot);
  const client = createCriClient(daemon.endpoint, { timeoutMs: PULL_TIMEOUT_MS });
  const watcher = createSkiffImagesClient(daemon.endpoint);
  const abort = new AbortController();
  const layers: LayerPhase[] = img.layers.map((l) => ({ digest: l.digest, size: l.size, tarSize: l.tarSize }));
  const byDigest = new Map(layers.map((l) => [l.digest, l]));
  const out: Phases = { wallMs: 0, layers, userMs: 0, sysMs: 0 };
  let t0 = Number.NaN;
  const at = () => performance.now() - t0;
  try {
    await Bun.sleep(SETTLE_MS);
    const watching = (async () => {
      for await (const e of watcher.images.watchPull({ image: ref }, { signal: abort.signal })) {
        const l = byDigest.get(e.digest);
        if (e.kind === "resolved") out.resolvedAt = at();
        else if (e.kind === "download" && l && l.firstByteAt === undefined) l.firstByteAt = at();
        else if (e.kind === "downloaded" && l) l.downloadedAt = at();
        else if (e.kind === "unpacked" && l) l.unpackedAt = at();
        else if (e.kind === "done") out.doneAt = at();
        else if (e.kind === "failed") out.error = e.message;
      }
    })().catch((err) => {
      if (!abort.signal.aborted) out.error ??= `WatchPull: ${(err as Error).message}`;
    });
    // The watch subscribes when its call reaches skiff; give it a moment to get there.
    await Bun.sleep(300);
    syncDisks();
    const cpu0 = readCpuSplitMs(daemon.pid);
    t0 = performance.now();
    await client.image.pullImage({ image: { image: ref } });
    out.wallMs = performance.now() - t0;
    const cpu1 = readCpuSplitMs(daemon.pid);
    out.userMs = cpu1.userMs - cpu0.userMs;
    out.sysMs = cpu1.sysMs - cpu0.sysMs;
    await Promise.race([watching, Bun.sleep(2000)]);
    let below = 0;
    for (const l of layers) {
      if (l.downloadedAt !== undefined && l.unpackedAt !== undefined) {
        l.unpackMs = l.unpackedAt - Math.max(l.downloadedAt, below);
        below = l.unpackedAt;
      }
    }
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
    console.error(`skiff phases run failed: ${out.error}\n${logTail(daemon.logPath, 30)}`);
  } finally {
    abort.abort();
    watcher.close();
    client.close();
    await daemon.stop();
  }
  return out;
}

/** Reference figures for the same layers without any runtime: what one core does here. */
type Baseline = {
  /** `tar -xzf` of each layer into one dir, one after another (GNU tar, gzip -d as its child). */
  tar: { wallMs: number; userMs: number; sysMs: number; perLayerMs: number[]; diskBytes: number };
  /** Bun.gunzipSync of each layer in this process: decompression alone. */
  gunzipMs: number;
};

/**
 * Unpacks the layers with GNU tar (no download, no digest checks, no whiteout handling
 * beyond writing the .wh. files, no overlay snapshots) and decompresses them with Bun's
 * zlib, to show the floor a single-threaded gzip + file-writing unpacker has on this
 * machine. Not counted in anything above.
 */
function baseline(img: SyntheticImage, tmpRoot: string): Baseline {
  const dir = fs.mkdtempSync(path.join(tmpRoot, "skiff-bench-tar-"));
  const untrack = onCleanup("remove tar baseline dir", () => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    const blobs = img.image.layers.map((l, i) => {
      const p = path.join(dir, `layer${i}.tar.gz`);
      fs.writeFileSync(p, l.blob);
      return p;
    });
    const rootfs = path.join(dir, "rootfs");
    fs.mkdirSync(rootfs);
    syncDisks();
    const perLayerMs: number[] = [];
    let userUs = 0;
    let sysUs = 0;
    const t0 = performance.now();
    for (const b of blobs) {
      const s = performance.now();
      const p = Bun.spawnSync(["tar", "-xzf", b, "-C", rootfs], { stdout: "ignore", stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`tar -xzf ${b}: ${p.stderr.toString().trim()}`);
      perLayerMs.push(performance.now() - s);
      userUs += Number(p.resourceUsage.cpuTime.user);
      sysUs += Number(p.resourceUsage.cpuTime.system);
    }
    const wallMs = performance.now() - t0;
    const diskBytes = Number(sh(["du", "-s", "-B1", rootfs]).trim().split(/\s+/)[0]);
    const g0 = performance.now();
    for (const l of img.image.layers) Bun.gunzipSync(l.blob);
    const gunzipMs = performance.now() - g0;
    return { tar: { wallMs, userMs: userUs / 1000, sysMs: sysUs / 1000, perLayerMs, diskBytes }, gunzipMs };
  } finally {
    untrack();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

type Summary = {
  pulls: number;
  failures: number;
  wallMs: { median: number; min: number; max: number };
  /** Compressed image bytes over the median wall time, MiB/s. */
  mibPerSec: number;
  rssPeakMiB: { median: number; max: number };
  rssTreePeakMiB: { median: number; max: number };
  hwmMiB: { median: number; max: number };
  cpuMs: { median: number };
  userMs: { median: number };
  sysMs: { median: number };
  hostBusyCores: { median: number };
  /** Daemon CPU over wall time: how many cores it kept busy on average. */
  coresBusy: number;
  syncAfterMs: { median: number };
  diskMiB: number;
  removeMs: { median: number };
  diskAfterRemoveMiB: number;
  serverMs?: { median: number };
};

function summarize(runs: PullRun[], imageBytes: number): Summary | undefined {
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return undefined;
  const f = (g: (r: PullRun) => number | undefined) => ok.map(g).filter((v): v is number => v !== undefined);
  const wall = f((r) => r.wallMs);
  const toMiB = (kib: number[]) => kib.map((k) => k / 1024);
  const rss = toMiB(f((r) => r.rssPeakKiB));
  const tree = toMiB(f((r) => r.rssTreePeakKiB));
  const hwm = toMiB(f((r) => r.hwmKiB));
  const cpu = f((r) => (r.cpuMs ?? 0) + (r.childCpuMs ?? 0));
  const server = f((r) => r.serverMs);
  return {
    pulls: ok.length,
    failures: runs.length - ok.length,
    wallMs: { median: median(wall), min: Math.min(...wall), max: Math.max(...wall) },
    mibPerSec: imageBytes / 1048576 / (median(wall) / 1000),
    rssPeakMiB: { median: median(rss), max: Math.max(...rss) },
    rssTreePeakMiB: { median: median(tree), max: Math.max(...tree) },
    hwmMiB: { median: median(hwm), max: Math.max(...hwm) },
    cpuMs: { median: median(cpu) },
    userMs: { median: median(f((r) => r.userMs)) },
    sysMs: { median: median(f((r) => r.sysMs)) },
    hostBusyCores: { median: median(f((r) => r.hostBusyCores)) },
    coresBusy: median(cpu) / median(wall),
    syncAfterMs: { median: median(f((r) => r.syncAfterMs)) },
    diskMiB: median(f((r) => r.disk?.bytes)) / 1048576,
    removeMs: { median: median(f((r) => r.removeMs)) },
    diskAfterRemoveMiB: median(f((r) => r.diskAfterRemove?.bytes)) / 1048576,
    serverMs: server.length > 0 ? { median: median(server) } : undefined,
  };
}

function gitHead(): string | undefined {
  const p = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: REPO, stdout: "pipe", stderr: "ignore" });
  return p.exitCode === 0 ? p.stdout.toString().trim() : undefined;
}

/** True when the working tree differs from HEAD (the binary may hold uncommitted code). */
function gitDirty(): boolean | undefined {
  const p = Bun.spawnSync(["git", "status", "--porcelain", "--", "src"], { cwd: REPO, stdout: "pipe", stderr: "ignore" });
  return p.exitCode === 0 ? p.stdout.toString().trim() !== "" : undefined;
}

function skiffBinaryVersion(): string | undefined {
  const bin = process.env.SKIFF_BIN ?? path.join(REPO, "dist", "skiff-linux-x64");
  const p = Bun.spawnSync([bin, "--version"], { stdout: "pipe", stderr: "ignore" });
  return p.exitCode === 0 ? p.stdout.toString().trim() : undefined;
}

function registryVersion(): string | undefined {
  const p = Bun.spawnSync(["dpkg-query", "-W", "-f", "${Version}", "docker-registry"], { stdout: "pipe", stderr: "ignore" });
  return p.exitCode === 0 ? p.stdout.toString().trim() : undefined;
}

/** containerd decompresses gzip layers with unpigz (parallel) when it is on PATH. */
function unpigzPath(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const p = path.join(dir, "unpigz");
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

const s1 = (ms: number) => (ms / 1000).toFixed(2);
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
const round3 = (v: number) => Math.round(v * 1000) / 1000;


async function main(): Promise<void> {
  const benchStart = performance.now();
  const loadAtStart = warnIfLoaded();
  if (runtimes.includes("skiff")) await ensureSkiffBinary({ build: args.rebuild ? "always" : "if-missing" });

  // 1. The image, and a registry holding it. Neither is measured.
  console.error("building the image ...");
  const img = buildSyntheticImage({
    randomBytesPerLayer: Math.round(32 * 1024 * 1024 * SCALE),
    textBytesPerLayer: Math.round(24 * 1024 * 1024 * SCALE),
  });
  const imageBytes = img.layers.reduce((n, l) => n + l.size, 0);
  const tarBytes = img.layers.reduce((n, l) => n + l.tarSize, 0);
  const fileCount = img.layers.reduce((n, l) => n + l.files, 0);
  console.error(
    `built ${img.layers.length} layers in ${s1(img.buildMs)} s: ${mb(imageBytes)} MiB compressed, ${mb(tarBytes)} MiB of tar, ${fileCount} files`,
  );
  const registry = await startRegistry();
  const untrackRegistry = onCleanup("stop registry", () => registry.stop());
  const ref = `${registry.host}/${REPOSITORY}:${TAG}`;
  const p0 = performance.now();
  await pushImage(registry.host, REPOSITORY, img.image, TAG);
  const pushMs = performance.now() - p0;
  console.error(`pushed ${ref} in ${s1(pushMs)} s`);

  // 2. Cold pulls, taking turns.
  const runs: PullRun[] = [];
  let phases: Phases | undefined;
  let base: Baseline | undefined;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const turn = round % 2 === 0 ? runtimes : [...runtimes].reverse();
      for (const [order, name] of turn.entries()) {
        const run = await onFreshFs((tmpRoot) => coldPull(name, round, order, registry, ref, img, tmpRoot));
        runs.push(run);
        if (run.ok) {
          console.error(
            `round ${round + 1}/${ROUNDS} ${name.padEnd(10)} ${s1(run.wallMs!)} s, peak RSS ${mib(run.rssPeakKiB!)} MiB, ` +
              `CPU ${s1((run.cpuMs ?? 0) + (run.childCpuMs ?? 0))} s, root ${mb(run.disk!.bytes)} MiB`,
          );
        }
      }
    }
    // 3. Where skiff's time goes.
    if (runtimes.includes("skiff") && !args["skip-phases"]) {
      console.error("skiff phases run (WatchPull; not counted above) ...");
      phases = await onFreshFs((tmpRoot) => skiffPhases(registry, ref, img, tmpRoot));
    }
    if (!args["skip-baseline"]) {
      console.error("baseline: tar -xzf of the same layers ...");
      base = await onFreshFs(async (tmpRoot) => baseline(img, tmpRoot));
    }
  } finally {
    untrackRegistry();
    await registry.stop();
    await runCleanups();
  }

  // Tables.
  const summaries: Partial<Record<RuntimeName, Summary>> = {};
  for (const r of runtimes) summaries[r] = summarize(runs.filter((x) => x.runtime === r), imageBytes);

  console.log(
    `\nImage: ${img.layers.length} layers, ${mb(imageBytes)} MiB compressed (gzip), ${mb(tarBytes)} MiB uncompressed, ${fileCount} files; ` +
      `registry ${registry.host} (docker-registry ${registryVersion() ?? "?"}, plain HTTP on loopback)`,
  );
  console.log(`Runtime roots on: ${fsDescription}`);
  console.log(`\nEach pull: ${ROUNDS} rounds, fresh daemon with an empty root every time (cold), runtimes alternating`);
  console.log(
    table(
      ["round", "runtime", "pull s", "skiff logged s", "idle RSS MiB", "peak RSS MiB", "VmHWM MiB", "user s", "sys s", "host busy cores", "sync after s", "root MiB", "remove ms", "after remove MiB"],
      runs.map((r) =>
        r.ok
          ? [r.round + 1, r.runtime, s1(r.wallMs!), r.serverMs !== undefined ? s1(r.serverMs) : "-", mib(r.rssIdleKiB!), mib(r.rssPeakKiB!), mib(r.hwmKiB!),
            s1(r.userMs!), s1(r.sysMs! + (r.childCpuMs ?? 0)), r.hostBusyCores!.toFixed(2), s1(r.syncAfterMs!), mb(r.disk!.bytes), Math.round(r.removeMs!),
            mb(r.diskAfterRemove!.bytes)]
          : [r.round + 1, r.runtime, "FAILED", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"],
      ),
    ),
  );

  console.log(`\nSummary (medians over the rounds; MiB/s = compressed image size / median pull time)`);
  console.log(
    table(
      ["runtime", "pulls ok", "median s", "min s", "max s", "MiB/s", "peak RSS MiB", "max VmHWM MiB", "CPU s", "daemon cores busy", "host cores busy", "root MiB"],
      runtimes.map((r) => {
        const s = summaries[r];
        if (!s) return [r, `0/${ROUNDS}`, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"];
        return [r, `${s.pulls}/${ROUNDS}`, s1(s.wallMs.median), s1(s.wallMs.min), s1(s.wallMs.max), s.mibPerSec.toFixed(1),
          s.rssPeakMiB.median.toFixed(1), s.hwmMiB.max.toFixed(1), s1(s.cpuMs.median), s.coresBusy.toFixed(2), s.hostBusyCores.median.toFixed(2),
          s.diskMiB.toFixed(1)];
      }),
    ),
  );

  let goal: { ratio: number; target: number; met: boolean } | undefined;
  const sk = summaries.skiff;
  const cd = summaries.containerd;
  if (sk && cd) {
    const ratio = cd.wallMs.median / sk.wallMs.median;
    goal = { ratio, target: GOAL_SPEEDUP, met: ratio >= GOAL_SPEEDUP };
    const verdict = goal.met
      ? `MET: skiff pulls ${ratio.toFixed(2)}x as fast as containerd (goal >= ${GOAL_SPEEDUP}x)`
      : `NOT MET: skiff pulls ${ratio.toFixed(2)}x as fast as containerd; the goal is >= ${GOAL_SPEEDUP}x`;
    console.log(`\ncontainerd/skiff median pull time: ${ratio.toFixed(2)}  ->  ${verdict}`);
    console.log(`peak RSS skiff/containerd: ${(sk.rssPeakMiB.median / cd.rssPeakMiB.median).toFixed(2)}`);
  }

  if (phases) {
    console.log(
      `\nWhere skiff's time goes (one extra cold pull with WatchPull open: ${s1(phases.wallMs)} s, CPU user ${s1(phases.userMs)} s + sys ${s1(phases.sysMs)} s; ms since the PullImage call)`,
    );
    if (phases.error) console.log(`  failed: ${phases.error}`);
    else {
      console.log(`manifest + config resolved at ${phases.resolvedAt?.toFixed(0) ?? "?"} ms; done at ${phases.doneAt?.toFixed(0) ?? "?"} ms`);
      const f = (v?: number) => (v === undefined ? "-" : v.toFixed(0));
      console.log(
        table(
          ["layer", "gz MiB", "tar MiB", "first byte", "downloaded", "unpacked", "unpack ms", "unpack MiB/s (tar)"],
          phases.layers.map((l, i) => [i + 1, mb(l.size), mb(l.tarSize), f(l.firstByteAt), f(l.downloadedAt), f(l.unpackedAt), f(l.unpackMs),
            l.unpackMs ? (l.tarSize / 1048576 / (l.unpackMs / 1000)).toFixed(1) : "-"]),
        ),
      );
      const lastDownload = Math.max(...phases.layers.map((l) => l.downloadedAt ?? 0));
      const unpackSum = phases.layers.reduce((n, l) => n + (l.unpackMs ?? 0), 0);
      console.log(`all layers downloaded at ${lastDownload.toFixed(0)} ms; unpack time summed over layers ${unpackSum.toFixed(0)} ms (unpacks run one after another, bottom up)`);
    }
  }

  if (base) {
    const t = base.tar;
    console.log(
      `\nReference, no runtime: GNU tar -xzf of the 6 blobs into one dir, one after another: ${s1(t.wallMs)} s ` +
        `(user ${s1(t.userMs)} s, sys ${s1(t.sysMs)} s; per layer ${t.perLayerMs.map((v) => s1(v)).join(", ")} s; ${mb(t.diskBytes)} MiB on disk); ` +
        `Bun.gunzipSync of all blobs alone: ${s1(base.gunzipMs)} s`,
    );
  }

  const report = {
    benchmark: "pull",
    date: new Date().toISOString(),
    durationSec: round3((performance.now() - benchStart) / 1000),
    host: { ...hostReport(loadAtStart), filesystem: fsDescription },
    versions: {
      bun: Bun.version,
      skiff: runtimes.includes("skiff") ? { binary: skiffBinaryVersion(), gitHead: gitHead(), srcDirty: gitDirty() } : undefined,
      containerd: runtimes.includes("containerd") ? { binary: await containerdVersion(), unpigz: unpigzPath() ?? null } : undefined,
      dockerRegistry: registryVersion(),
    },
    image: {
      ref,
      manifestDigest: img.image.manifestDigest,
      configDigest: img.image.configDigest,
      compressedBytes: imageBytes,
      tarBytes,
      files: fileCount,
      layers: img.layers,
      buildMs: img.buildMs,
      pushMs,
    },
    method: {
      client: "skiff src/cli/cri-client.ts (connect-es gRPC, h2c over unix socket)",
      rounds: ROUNDS,
      order: "runtimes take turns, order flipped every round",
      cold: "a fresh daemon with an empty temp root for every pull; stopped and its dir removed after",
      filesystem: FS_MODE === "scratch" ? "a new loop-mounted ext4 (journal, inode tables initialised by mkfs) per pull" : "the OS temp dir",
      beforeEachPull: `${SETTLE_MS} ms settle after the start, then sync`,
      wall: "PullImage call to answer (performance.now() in the client)",
      rss: `VmRSS of the daemon process sampled every ${RSS_INTERVAL_MS} ms during the pull (peak = max sample); tree = daemon + live descendants; hwm = VmHWM after the pull`,
      cpu: "utime+stime of the daemon (all threads) from /proc/<pid>/stat over the pull, plus cutime+cstime of children reaped meanwhile",
      syncAfter: "duration of `sync` right after the answer (writeback left behind by the pull)",
      disk: "du -s -B1 of the runtime's root dir after the pull (content blobs + unpacked snapshots + metadata), and after RemoveImage",
      registry: "docker-registry on 127.0.0.1, plain HTTP; skiff: [registry.hosts] plain_http = true; containerd: CRI registry.config_path hosts.toml",
      concurrency: "defaults on both sides: skiff image.pull_concurrency = 3, containerd CRI max_concurrent_downloads = 3",
      snapshotters: "skiff: its overlay snapshot dirs; containerd: overlayfs (checked after each pull)",
      goal: `containerd median / skiff median >= ${GOAL_SPEEDUP}`,
    },
    summary: summaries,
    goal,
    runs,
    skiffPhases: phases,
    baseline: base,
  };
  writeReport(REPO, "pull", report, args.out);
  if (runs.some((r) => !r.ok)) process.exitCode = 1;
}

runBench(main);
