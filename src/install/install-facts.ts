/**
 * Reads what the install and uninstall plans decide on: which files are there under the
 * root, the config in effect, whether systemd runs the host, the earlier install's
 * manifest, and (for --purge) pods' mounts and a live socket.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { type Config, defaultConfig, defaultConfigPath, parseConfig } from "../config/index.ts";
import { listConfigFiles } from "../network/load-network-configs.ts";
import { underRoot } from "./apply-steps.ts";
import { INSTALL_MANIFEST_PATH, type InstallManifest, parseInstallManifest } from "./install-manifest.ts";
import { CRICTL_PATH, type InstallFacts, type InstallSource } from "./install-plan.ts";
import type { UninstallFacts } from "./uninstall-plan.ts";

const sha256File = (file: string): string | undefined => {
  try {
    return new Bun.CryptoHasher("sha256").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
};

/** The manifest of an earlier install under `root`, if there is one. */
export function readInstallManifest(root: string): InstallManifest | undefined {
  const file = underRoot(root, INSTALL_MANIFEST_PATH);
  if (!fs.existsSync(file)) return undefined;
  return parseInstallManifest(fs.readFileSync(file, "utf8"), file);
}

/** The config at the default path under `root` (its paths are the host's), or the defaults. */
export function readTargetConfig(root: string): { config: Config; configPath: string; exists: boolean } {
  const configPath = defaultConfigPath("linux");
  const file = underRoot(root, configPath);
  if (!fs.existsSync(file)) return { config: defaultConfig("linux"), configPath, exists: false };
  return { config: parseConfig(fs.readFileSync(file, "utf8"), file, "linux"), configPath, exists: true };
}

/** Whether systemd runs the host; never for another root, whose systemd is not running. */
export function systemdRuns(root: string): boolean {
  return root === "/" && fs.existsSync("/run/systemd/system");
}

export async function readInstallFacts(root: string, source: InstallSource, prefix: string): Promise<InstallFacts> {
  const { config, configPath, exists } = readTargetConfig(root);
  const previous = readInstallManifest(root);
  const crictlSha = sha256File(underRoot(root, CRICTL_PATH));
  const ours = previous?.files.some((f) => f.path === CRICTL_PATH && f.sha256 === crictlSha) ?? false;
  const importDir = underRoot(root, config.image.importDir);
  return {
    source,
    binaryPath: path.join(prefix, "bin", "skiff"),
    config,
    configPath,
    configExists: exists,
    crictl: crictlSha === undefined ? "absent" : ours ? "ours" : "theirs",
    cniConfFiles: await listConfigFiles(underRoot(root, config.cni.confDir)),
    importDirFiles: fs.existsSync(importDir) ? fs.readdirSync(importDir) : [],
    rootIsHost: root === "/",
    systemd: systemdRuns(root),
    ...(previous && { previous }),
  };
}

/** Mount points at or below any of `dirs` (already under the root), from this process's mount table. */
export function mountsUnder(dirs: string[]): string[] {
  const table = fs.readFileSync("/proc/self/mountinfo", "utf8");
  const points = table.split("\n").map((l) => (l.split(" ")[4] ?? "").replace(/\\040/g, " "));
  return points.filter((m) => m !== "" && dirs.some((d) => m === d || m.startsWith(`${d}/`)));
}

/** Whether something accepts connections on a unix socket. */
function socketAnswers(file: string): Promise<boolean> {
  if (!fs.existsSync(file)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const sock = net.connect(file);
    const done = (alive: boolean) => {
      sock.destroy();
      resolve(alive);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    setTimeout(() => done(true), 1000).unref();
  });
}

export async function readUninstallFacts(root: string, manifest: InstallManifest): Promise<UninstallFacts> {
  const { config } = readTargetConfig(root);
  const current: Record<string, string | undefined> = {};
  for (const f of manifest.files) current[f.path] = sha256File(underRoot(root, f.path));
  const backups = manifest.files.flatMap((f) => (f.backup !== undefined && fs.existsSync(underRoot(root, f.backup)) ? [f.backup] : []));
  const dataDirs = [config.paths.root, config.paths.state];
  return {
    manifest,
    current,
    backups,
    systemd: systemdRuns(root),
    dataDirs,
    mounts: mountsUnder(dataDirs.map((d) => underRoot(root, d))),
    serving: await socketAnswers(underRoot(root, config.server.socket.replace(/^unix:\/\//, ""))),
  };
}

/**
 * The file of the running skiff when it is the compiled executable, whose code lives in
 * Bun's embedded filesystem (`/$bunfs/...`, `B:\~BUN\...` on Windows); undefined when
 * running from source under `bun`, where `process.execPath` is bun itself.
 */
export function runningExecutable(): string | undefined {
  const embedded = Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:\\~BUN\\") || Bun.main.startsWith("B:/~BUN/");
  return embedded ? process.execPath : undefined;
}
