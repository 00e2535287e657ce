/**
 * Runs a private containerd (Debian's /usr/bin/containerd, 1.6.x) with its CRI plugin, for
 * side-by-side benchmarks. Everything it owns lives in one temp dir: root, state, temp,
 * the "opt" plugin dir, both sockets, CNI dirs and the netns mount dir, so it never
 * touches /var/lib/containerd, /run/containerd, /opt/containerd, /etc/cni or /var/run/netns
 * and cannot collide with a containerd the host may run.
 *
 * Needs root: as another user containerd 1.6 fails at start when it chowns its ttrpc
 * socket to uid/gid 0, and its snapshotters and CRI plugin expect to mount and to manage
 * cgroups.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir, type RunningDaemon, spawnDaemon } from "./daemon.ts";

export type ContainerdOptions = {
  /** The containerd binary. Default $CONTAINERD_BIN, else /usr/bin/containerd. */
  binary?: string;
  /** containerd's log level. Default "info" (its own default). */
  logLevel?: "trace" | "debug" | "info" | "warn" | "error";
  /**
   * Extra TOML appended to the generated config (more tables, e.g. the CRI plugin's
   * registry or snapshotter settings). A function gets the daemon's temp dir, for paths
   * inside it.
   */
  extraConfig?: string | ((dir: string) => string);
  /** Files to write into the temp dir before the start, by path relative to it. */
  files?: Record<string, string>;
  /** Where to make the temp dir (root, state, sockets). Default the OS temp dir. */
  tmpRoot?: string;
  readyTimeoutMs?: number;
  keepDir?: boolean;
};

/**
 * Plugins that probe or change the host and that a CRI Version/Status benchmark does not
 * need. aufs would run `modprobe aufs`; btrfs/zfs/devmapper look at host storage; the
 * tracing processor would try to export spans over the network.
 */
const DISABLED_PLUGINS = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
];

/** The config file: containerd's v2 format, every host path redirected into `dir`. */
export function containerdConfig(dir: string, logLevel: string, extra = ""): string {
  const q = (s: string) => JSON.stringify(s); // a TOML basic string is a JSON string here
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return `# written by skiff's bench/lib/containerd.ts
version = 2
root = ${q(path.join(dir, "root"))}
state = ${q(path.join(dir, "state"))}
temp = ${q(path.join(dir, "tmp"))}
disabled_plugins = ${JSON.stringify(DISABLED_PLUGINS)}
# Fail at start instead of running without the one plugin we measure.
required_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = ${q(path.join(dir, "containerd.sock"))}

[ttrpc]
  address = ${q(path.join(dir, "containerd.sock.ttrpc"))}

[debug]
  # No debug socket; the log goes to stderr, which the bench sends to a file.
  address = ""
  level = ${q(logLevel)}

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(path.join(dir, "opt"))}

  [${cri}]
    disable_tcp_service = true
    # Streaming server (exec/attach) on loopback only, any free port.
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    # Pod netns pins under our state dir instead of /var/run/netns.
    netns_mounts_under_state_dir = true

    [${cri}.cni]
      bin_dir = ${q(path.join(dir, "cni", "bin"))}
      conf_dir = ${q(path.join(dir, "cni", "net.d"))}
${extra}`;
}

export async function startContainerd(opts: ContainerdOptions = {}): Promise<RunningDaemon> {
  const binary = opts.binary ?? process.env.CONTAINERD_BIN ?? "/usr/bin/containerd";
  if (!fs.existsSync(binary)) throw new Error(`${binary} not found (Debian: apt-get install containerd)`);
  const dir = makeTempDir("containerd", opts.tmpRoot);
  for (const sub of ["root", "state", "tmp", "opt", "cni/bin", "cni/net.d"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const configPath = path.join(dir, "config.toml");
  for (const [rel, text] of Object.entries(opts.files ?? {})) {
    const p = path.resolve(dir, rel);
    if (!p.startsWith(`${dir}/`)) throw new Error(`startContainerd: file ${rel} is outside the temp dir`);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  const extra = typeof opts.extraConfig === "function" ? opts.extraConfig(dir) : (opts.extraConfig ?? "");
  fs.writeFileSync(configPath, containerdConfig(dir, opts.logLevel ?? "info", extra));
  return spawnDaemon({
    name: "containerd",
    argv: [binary, "--config", configPath],
    dir,
    socketPath: path.join(dir, "containerd.sock"),
    // containerd reads no env of ours except TMPDIR-like things; pin TMPDIR to our dir too.
    env: { TMPDIR: path.join(dir, "tmp") },
    readyTimeoutMs: opts.readyTimeoutMs,
    keepDir: opts.keepDir,
  });
}

/** `containerd --version`, e.g. "containerd github.com/containerd/containerd 1.6.20~ds1 ...". */
export async function containerdVersion(binary = process.env.CONTAINERD_BIN ?? "/usr/bin/containerd"): Promise<string> {
  const p = Bun.spawn([binary, "--version"], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.trim();
}
