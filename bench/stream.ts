#!/usr/bin/env bun
/**
 * Streaming benchmark: exec round trip and port-forward throughput through skiff's
 * streaming server and through containerd's, in the same run, with skiff's own client.
 *
 *   bun bench/stream.ts [--n 200] [--mib 256] [--transport spdy|websocket] [--runtimes containerd,skiff] [--out FILE]
 *
 * Each runtime gets a pod with two busybox containers: `sleep 3600` (the exec target) and
 * a server that writes `--mib` MiB of zeros to every connection on port 5000. Then, taking
 * turns in rounds of 20:
 * - exec round trip: the Exec RPC plus a streamed `echo hi` to its exit status (what
 *   `kubectl exec` waits for, minus the API server hop); p50/p99 over `--n` runs;
 * - port-forward: one forwarded connection reads the `--mib` MiB to their end, 3 times;
 *   the best MiB/s is reported (the stream server's ceiling, not the pod's dd).
 * Writes bench/results/stream-<date>.json.
 */
import * as net from "node:net";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { type CriClient, createCriClient } from "../src/cli/cri-client.ts";
import { runRemoteCommand } from "../src/streaming/client/remote-command-client.ts";
import { startPortForward } from "../src/streaming/client/port-forward-client.ts";
import type { Transport } from "../src/streaming/client/dial-transports.ts";
import { spdySessionFactory } from "../src/streaming/spdy-factory.ts";
import { startContainerdForPods } from "../test/support/containerd-pods.ts";
import { pushPodImages } from "../test/support/pod-images.ts";
import { startRegistry } from "../test/support/registry.ts";
import { onCleanup, runCleanups } from "./lib/cleanup.ts";
import { containerdVersion } from "./lib/containerd.ts";
import { type PodBenchTarget, startSkiffForPods } from "./lib/pods-skiff.ts";
import { type ContainerConfig, benchContainerConfig, benchPodConfig } from "./lib/pods-run.ts";
import { REPO, ensureSkiffBinary } from "./lib/skiff.ts";
import { hostReport, resultPath, summarize, table, warnIfLoaded } from "./lib/stats.ts";

const RUNTIMES = ["containerd", "skiff"] as const;
type RuntimeName = (typeof RUNTIMES)[number];
const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "200" },
    mib: { type: "string", default: "256" },
    transport: { type: "string", default: spdySessionFactory() ? "spdy" : "websocket" },
    runtimes: { type: "string", default: RUNTIMES.join(",") },
    out: { type: "string" },
  },
});
const N = Number(args.n);
const MIB = Number(args.mib);
const transport = args.transport as Transport;
if (!(N > 0) || !(MIB > 0) || !["spdy", "websocket"].includes(transport)) {
  console.error("usage: bun bench/stream.ts [--n 200] [--mib 256] [--transport spdy|websocket] [--runtimes containerd,skiff] [--out FILE]");
  process.exit(2);
}
const runtimes = RUNTIMES.filter((r) => args.runtimes!.split(",").includes(r));
const PORT = 5000;
const ROUND = 20;

type Bench = { name: RuntimeName; target: PodBenchTarget; client: CriClient; pod: string; ctr: string; execMs: number[]; mibPerS: number[] };

async function start(name: RuntimeName, registryHost: string, images: { busybox: string; pause: string }, logs: string): Promise<Bench> {
  const target: PodBenchTarget =
    name === "containerd"
      ? await startContainerdForPods({ registryHost, sandboxImage: images.pause }).then((c) => ({ daemon: c.daemon, monitorComm: "", monitorMarker: "", stop: c.stop }))
      : await startSkiffForPods({ registryHost });
  onCleanup(`stop ${name}`, () => target.stop());
  const client = createCriClient(target.daemon.endpoint, { timeoutMs: 120_000 });
  await client.image.pullImage({ image: { image: images.busybox } });
  if (name === "containerd") await client.image.pullImage({ image: { image: images.pause } });
  const config = benchPodConfig(0, logs);
  fs.mkdirSync(config.logDirectory as string, { recursive: true });
  const { podSandboxId: pod } = await client.runtime.runPodSandbox({ config });
  const run = async (cmd: string[], name: string) => {
    // The kubelet-shaped container of the pod benchmark, with its own name and command.
    const c: ContainerConfig = { ...benchContainerConfig(images.busybox), metadata: { name, attempt: 0 }, command: cmd, logPath: `${name}.log` } as ContainerConfig;
    const { containerId } = await client.runtime.createContainer({ podSandboxId: pod, config: c, sandboxConfig: config });
    await client.runtime.startContainer({ containerId });
    return containerId;
  };
  const ctr = await run(["sleep", "3600"], "sleeper");
  await run(["nc", "-ll", "-p", String(PORT), "-e", "dd", "if=/dev/zero", "bs=1048576", `count=${MIB}`], "zeros");
  return { name, target, client, pod, ctr, execMs: [], mibPerS: [] };
}

const quiet = { write: async () => {}, end: async () => {} };

async function execOnce(b: Bench): Promise<void> {
  const t0 = performance.now();
  const { url } = await b.client.runtime.exec({ containerId: b.ctr, cmd: ["echo", "hi"], stdout: true, stderr: true });
  const code = await runRemoteCommand(url, transport, { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: quiet, stderr: quiet });
  if (code !== 0) throw new Error(`${b.name}: echo exited ${code}`);
  b.execMs.push(performance.now() - t0);
}

async function forwardOnce(b: Bench): Promise<void> {
  const pf = await startPortForward(transport, async (ports) => (await b.client.runtime.portForward({ podSandboxId: b.pod, port: ports })).url, [{ address: "127.0.0.1", local: 0, remote: PORT }], (l) => console.error(`${b.name}: ${l}`));
  try {
    for (let attempt = 0; ; attempt++) {
      const t0 = performance.now();
      const bytes = await new Promise<number>((resolve, reject) => {
        const s = net.connect(pf.ports[0]!.local, "127.0.0.1");
        let n = 0;
        s.on("data", (d: Buffer) => (n += d.length));
        s.on("error", reject);
        s.on("close", () => resolve(n));
      });
      if (bytes === MIB << 20) {
        b.mibPerS.push(MIB / ((performance.now() - t0) / 1000));
        return;
      }
      if (attempt > 50) throw new Error(`${b.name}: the port-forward read ${bytes} of ${MIB << 20} bytes`);
      await Bun.sleep(100); // the server in the pod is still starting
    }
  } finally {
    pf.stop();
  }
}

const load = warnIfLoaded();
await ensureSkiffBinary({ build: "if-missing" });
const reg = await startRegistry();
onCleanup("stop the registry", () => reg.stop());
const logs = fs.mkdtempSync("/tmp/skiff-bench-stream-");
onCleanup("remove logs", () => fs.rmSync(logs, { recursive: true, force: true }));
try {
  const images = await pushPodImages(reg.host);
  const benches: Bench[] = [];
  for (const r of runtimes) benches.push(await start(r, reg.host, images, logs));
  for (let done = 0; done < N; done += ROUND) {
    for (const b of benches) for (let i = 0; i < Math.min(ROUND, N - done); i++) await execOnce(b);
  }
  for (let i = 0; i < 3; i++) for (const b of benches) await forwardOnce(b);
  const report = {
    method: { n: N, mib: MIB, transport, round: ROUND },
    host: hostReport(load),
    versions: { bun: Bun.version, containerd: runtimes.includes("containerd") ? await containerdVersion() : undefined },
    results: Object.fromEntries(benches.map((b) => [b.name, { execMs: summarize(b.execMs), portForwardMiBPerS: { best: Math.max(...b.mibPerS), all: b.mibPerS } }])),
  };
  const file = resultPath(REPO, "stream", args.out);
  fs.mkdirSync(`${REPO}/bench/results`, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    table(
      ["runtime", "exec p50 ms", "exec p99 ms", "port-forward MiB/s"],
      benches.map((b) => {
        const s = summarize(b.execMs);
        return [b.name, s.p50.toFixed(1), s.p99.toFixed(1), Math.max(...b.mibPerS).toFixed(0)];
      }),
    ),
  );
  console.log(`(${transport}; wrote ${file})`);
} finally {
  await runCleanups();
}
