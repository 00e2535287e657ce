/**
 * A private containerd (Debian's 1.6) set up to run pods, for the pod verb tests and
 * the pod benchmark: runc through the io.containerd.runc.v2 shim, the test registry's
 * pause image as `sandbox_image`, plain HTTP to that registry, a CNI bridge of its own
 * (see bench/lib/pods-network.ts) with the plugins in /usr/lib/cni, root/state/sockets
 * and the pods' netns pins in one temp dir, and `restrict_oom_score_adj = true` because
 * this host lacks CAP_SYS_RESOURCE (the sandbox's oom_score_adj of -998 could not be set).
 *
 * stop() undoes everything: pods (through the CRI), shims left behind, mounts under the
 * temp dir, the bridge, the iptables rule, cgroup dirs containerd made, the temp dir.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createCriClient } from "../../src/cli/cri-client.ts";
import { containerdConfig } from "../../bench/lib/containerd.ts";
import { type RunningDaemon, makeTempDir, spawnDaemon } from "../../bench/lib/daemon.ts";
import { type PodNetwork, isolatePodNetwork, loopbackConf, pickPodNetwork, removePodNetwork, writePodConflist } from "../../bench/lib/pods-network.ts";

export type ContainerdPodsOptions = {
  /** `127.0.0.1:PORT` of the plain-HTTP test registry. */
  registryHost: string;
  /** The pause image reference (pushed to that registry). */
  sandboxImage: string;
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Where to make the temp dir. Default the OS temp dir. */
  tmpRoot?: string;
};

export type ContainerdPods = {
  daemon: RunningDaemon;
  endpoint: string;
  dir: string;
  network: PodNetwork;
  /** Live shim processes of this containerd (one per pod with runc v2 shims). */
  shimPids(): number[];
  /** Stops and removes every pod through the CRI (containers go with their pod). */
  removeAllPods(): Promise<void>;
  /** Everything above, then the daemon and the host changes; safe to call twice. */
  stop(): Promise<void>;
};

const CRI = `plugins."io.containerd.grpc.v1.cri"`;
const CGROUP_ROOT = "/sys/fs/cgroup";
const CNI_VAR = "/var/lib/cni";

function rmdirIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // missing, or someone else's files are in it
  }
}

/**
 * bench/lib/containerd.ts writes the CRI plugin's own table itself, and TOML cannot
 * reopen a table, so the keys that belong directly in it go in right after its
 * `disable_tcp_service` line; the CNI bin dir is pointed at the Debian plugins.
 */
export function containerdPodsConfig(dir: string, opts: { sandboxImage: string; logLevel: string }): string {
  const q = (s: string) => JSON.stringify(s);
  const extra = `
  [${CRI}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${CRI}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

  [${CRI}.registry]
    config_path = ${q(path.join(dir, "certs.d"))}
`;
  const base = containerdConfig(dir, opts.logLevel, extra);
  const anchor = "    disable_tcp_service = true\n";
  const binDir = `bin_dir = ${q(path.join(dir, "cni", "bin"))}`;
  if (!base.includes(anchor) || !base.includes(binDir)) throw new Error("bench/lib/containerd.ts config changed: update containerdPodsConfig");
  return base
    .replace(anchor, `${anchor}    sandbox_image = ${q(opts.sandboxImage)}\n    restrict_oom_score_adj = true\n`)
    .replace(binDir, `bin_dir = ${q("/usr/lib/cni")}`);
}

/** Pids of processes whose command line names this containerd's socket (its shims). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function cgroupDirs(name: string): string[] {
  let ctrls: string[] = [];
  try {
    ctrls = fs.readdirSync(CGROUP_ROOT);
  } catch {
    return [];
  }
  return ctrls.map((c) => path.join(CGROUP_ROOT, c, name)).filter((p) => fs.existsSync(p));
}

export async function startContainerdForPods(opts: ContainerdPodsOptions): Promise<ContainerdPods> {
  const dir = makeTempDir("ctrd-pods", opts.tmpRoot);
  const network = pickPodNetwork("ctrd", path.join(dir, "ipam"));
  for (const sub of ["root", "state", "tmp", "opt", "cni/bin", "cni/net.d"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const certs = path.join(dir, "certs.d", opts.registryHost);
  fs.mkdirSync(certs, { recursive: true });
  const url = `http://${opts.registryHost}`;
  fs.writeFileSync(path.join(certs, "hosts.toml"), `server = "${url}"\n\n[host."${url}"]\n  capabilities = ["pull", "resolve"]\n`);
  writePodConflist(path.join(dir, "cni", "net.d"), network);
  fs.writeFileSync(path.join(dir, "cni", "net.d", "99-loopback.conf"), loopbackConf());
  const configPath = path.join(dir, "config.toml");
  fs.writeFileSync(configPath, containerdPodsConfig(dir, { sandboxImage: opts.sandboxImage, logLevel: opts.logLevel ?? "warn" }));
  const cgroupsBefore = new Set(cgroupDirs("k8s.io"));
  // containerd's libcni caches results under /var/lib/cni; leave no empty dirs behind either
  const cniVarBefore = fs.existsSync(CNI_VAR);
  const socket = path.join(dir, "containerd.sock");

  let daemon: RunningDaemon | undefined;
  let stopping: Promise<void> | undefined;
  const shimPids = () => processesMentioning(socket).filter((p) => p !== daemon?.pid);

  const removeAllPods = async () => {
    if (!daemon) return;
    const client = createCriClient(daemon.endpoint, { timeoutMs: 60_000 });
    try {
      const { items } = await client.runtime.listPodSandbox({});
      for (const p of items) {
        await client.runtime.stopPodSandbox({ podSandboxId: p.id });
        await client.runtime.removePodSandbox({ podSandboxId: p.id });
      }
    } finally {
      client.close();
    }
  };

  const stopOnce = async () => {
    const problems: string[] = [];
    try {
      await removeAllPods();
    } catch (err) {
      problems.push(`removing pods: ${(err as Error).message}`);
    }
    await daemon?.stop(); // keepDir: the dir goes below, once nothing is mounted in it
    for (const pid of shimPids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    for (const m of mountsUnder(dir)) {
      const r = Bun.spawnSync(["umount", "-l", m], { stdout: "ignore", stderr: "pipe" });
      if (r.exitCode !== 0) problems.push(`umount ${m}: ${r.stderr.toString().trim()}`);
    }
    problems.push(...removePodNetwork(network));
    for (const cg of cgroupDirs("k8s.io")) {
      if (cgroupsBefore.has(cg)) continue;
      try {
        fs.rmdirSync(cg);
      } catch {
        // still has children (another containerd's?) or not ours to remove
      }
    }
    if (!cniVarBefore) for (const d of [`${CNI_VAR}/results`, `${CNI_VAR}/cache`, CNI_VAR]) rmdirIfEmpty(d);
    if (process.env.BENCH_KEEP_TMP !== "1") fs.rmSync(dir, { recursive: true, force: true });
    if (problems.length > 0) console.error(`containerd pods cleanup:\n  ${problems.join("\n  ")}`);
  };
  const stop = () => (stopping ??= stopOnce());

  try {
    isolatePodNetwork(network);
    daemon = await spawnDaemon({
      name: "containerd",
      argv: [process.env.CONTAINERD_BIN ?? "/usr/bin/containerd", "--config", configPath],
      dir,
      socketPath: socket,
      env: { TMPDIR: path.join(dir, "tmp") },
      keepDir: true,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { daemon, endpoint: daemon.endpoint, dir, network, shimPids, removeAllPods, stop };
}
