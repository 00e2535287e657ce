/**
 * The compiled skiff set up to run pods, the counterpart of containerd-pods.ts: a CNI
 * bridge, subnet and IPAM dir of its own (bench/lib/pods-network.ts) fenced off from the
 * world, the Debian plugins, plain HTTP to the test registry, and
 * `restrict_oom_score_adj` because this host lacks CAP_SYS_RESOURCE.
 *
 * stop() removes every pod through the CRI (while the daemon can still tear down their
 * networks), stops the daemon and undoes the network and the temp dirs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type PodNetwork, isolatePodNetwork, loopbackConf, pickPodNetwork, removePodNetwork, writePodConflist } from "../../bench/lib/pods-network.ts";
import { type Daemon, startDaemon } from "../integration/harness.ts";

export type SkiffPods = {
  daemon: Daemon;
  network: PodNetwork;
  /** A temp dir of this skiff's own (CNI config, IPAM), gone after stop(). */
  work: string;
  stop(): Promise<void>;
};

export async function startSkiffForPods(opts: { registryHost: string }): Promise<SkiffPods> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-pods-net-"));
  const network = pickPodNetwork("skiff", path.join(work, "ipam"));
  const confDir = path.join(work, "net.d");
  writePodConflist(confDir, network);
  fs.writeFileSync(path.join(confDir, "99-loopback.conf"), loopbackConf());
  isolatePodNetwork(network);
  const daemon = await startDaemon({
    extraConfig:
      `\n[linux]\nrestrict_oom_score_adj = true\n` +
      `\n[cni]\nconf_dir = "${confDir}"\nbin_dirs = ["/usr/lib/cni"]\nwrite_default = false\n` +
      `\n[registry.hosts."${opts.registryHost}"]\nplain_http = true\n`,
  }).catch((err) => {
    removePodNetwork(network);
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  });
  const stop = async () => {
    try {
      const pods = await daemon.runtime.call<{ items?: { id: string }[] }>("ListPodSandbox", {}, 60_000);
      for (const p of pods.items ?? []) await daemon.runtime.call("RemovePodSandbox", { pod_sandbox_id: p.id }, 60_000);
    } finally {
      const code = await daemon.stop();
      removePodNetwork(network);
      if (code !== 0) console.error(`skiff exited with ${code}:\n${daemon.output().slice(-4000)}`);
      fs.rmSync(daemon.dir, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
    }
  };
  return { daemon, network, work, stop };
}
