/**
 * skiff set up for the pod benchmark as containerd is (test/support/containerd-pods.ts):
 * a CNI bridge of its own from the same conflist template, the Debian plugins,
 * plain HTTP to the local registry, oom_score_adj clamped (no CAP_SYS_RESOURCE here),
 * everything in one temp dir; stop() removes pods, monitors, mounts, the bridge and the
 * iptables rule.
 */
import * as fs from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import * as path from "node:path";
import { createCriClient } from "../../src/cli/cri-client.ts";
import { mountsUnder } from "../../test/support/containerd-pods.ts";
import type { RunningDaemon } from "./daemon.ts";
import { isolatePodNetwork, loopbackConf, pickPodNetwork, removePodNetwork, writePodConflist } from "./pods-network.ts";
import { monitorPids, removeAllPods } from "./pods-run.ts";
import { startSkiff } from "./skiff.ts";

/** A runtime ready for pods, as the benchmark sees it. */
export type PodBenchTarget = {
  daemon: RunningDaemon;
  /** /proc/<pid>/comm of the per-pod monitor processes. */
  monitorComm: string;
  /** A string in their command lines that ties them to this daemon. */
  monitorMarker: string;
  /** skiff's metrics endpoint (where it tells how long runc, conmon and the plugins took). */
  metricsUrl?: string;
  stop(): Promise<void>;
};

export async function startSkiffForPods(opts: { registryHost: string }): Promise<PodBenchTarget> {
  const work = fs.mkdtempSync("/tmp/skiff-bench-skiffnet-");
  const net = pickPodNetwork("skiff", path.join(work, "ipam"));
  const confDir = path.join(work, "net.d");
  writePodConflist(confDir, net);
  fs.writeFileSync(path.join(confDir, "99-loopback.conf"), loopbackConf());
  let daemon: RunningDaemon | undefined;
  let stopping: Promise<void> | undefined;
  const stopOnce = async () => {
    if (daemon) {
      const client = createCriClient(daemon.endpoint, { timeoutMs: 60_000 });
      try {
        await removeAllPods(client);
      } catch (err) {
        console.error(`skiff: removing pods: ${(err as Error).message}`);
      } finally {
        client.close();
      }
      await daemon.stop();
      for (const pid of monitorPids("conmon", daemon.dir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      for (const m of mountsUnder(daemon.dir)) Bun.spawnSync(["umount", "-l", m]);
      fs.rmSync(daemon.dir, { recursive: true, force: true });
    }
    for (const p of removePodNetwork(net)) console.error(`skiff network cleanup: ${p}`);
    fs.rmSync(work, { recursive: true, force: true });
  };
  const stop = () => (stopping ??= stopOnce());
  const metricsPort = await freePort();
  try {
    isolatePodNetwork(net);
    daemon = await startSkiff({
      serverConfig: `metrics_address = "127.0.0.1:${metricsPort}"\n`,
      build: "never",
      keepDir: true,
      extraConfig:
        `\n[linux]\nrestrict_oom_score_adj = true\n` +
        `\n[cni]\nconf_dir = ${JSON.stringify(confDir)}\nbin_dirs = ["/usr/lib/cni"]\nwrite_default = false\n` +
        `\n[registry.hosts."${opts.registryHost}"]\nplain_http = true\n`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { daemon, monitorComm: "conmon", monitorMarker: daemon.dir, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, stop };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
