/**
 * The host reads behind `skiff doctor`: runs `--version` of each binary, reads /proc,
 * /sys and the CNI conf dir, stats the socket and the disk, asks the kernel about the
 * clock, probes registry mirrors. Everything judged afterwards is in the returned
 * `DoctorFacts`; nothing here decides ok or not.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Config, checkHost } from "../config/index.ts";
import { describeError } from "../errors.ts";
import { registryConfigFrom } from "../image/registry-config.ts";
import { resolveEndpoints } from "../image/registry/hosts.ts";
import { DEFAULT_RETRY, createTokenCache } from "../image/registry/index.ts";
import { sleep } from "../image/registry/retry.ts";
import { EndpointTransport } from "../image/registry/transport.ts";
import { defaultConflist } from "../network/default-conflist.ts";
import { loadNetworkConfigs } from "../network/load-network-configs.ts";
import type { PluginConfig } from "../network/network-config.ts";
import { findPlugin } from "../network/plugin-exec.ts";
import type { Platform } from "../platform/index.ts";
import { detectHostFacts } from "../runtime/host-facts.ts";
import { readOr } from "../runtime/read-or.ts";
import { readMountOptions } from "../runtime/runtime-features.ts";
import { resolveGroup } from "../server/socket-file.ts";
import type { BinaryFacts, CniFacts, DiskFacts, DoctorFacts, MirrorProbe, RuntimeFacts, SocketFacts } from "./doctor-facts.ts";

export type ReadFactsOptions = {
  /** How long a registry mirror gets to answer. */
  probeTimeoutMs?: number;
};

/** Where a binary cannot be run from, or undefined when it can. */
function binaryProblem(file: string): string | undefined {
  try {
    if (!fs.statSync(file).isFile()) return `${JSON.stringify(file)} is not a regular file`;
    fs.accessSync(file, fs.constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return `${JSON.stringify(file)} does not exist`;
    if (code === "EACCES") return `${JSON.stringify(file)} is not executable`;
    return `cannot stat ${JSON.stringify(file)}: ${code ?? describeError(err)}`;
  }
}

/** The binary's facts, with what `<file> --version` printed. */
export function readBinary(file: string): BinaryFacts {
  const problem = binaryProblem(file);
  if (problem !== undefined) return { path: file, problem };
  try {
    const p = Bun.spawnSync([file, "--version"], { stdout: "pipe", stderr: "pipe", timeout: 5000 });
    return { path: file, versionOutput: `${p.stdout.toString()}${p.stderr.toString()}` };
  } catch {
    return { path: file };
  }
}

/** Debian's changelog of the package named like the binary, which lists backported CVE fixes. */
function packageChangelog(binary: string): string {
  const file = `/usr/share/doc/${path.basename(binary)}/changelog.Debian.gz`;
  try {
    return new TextDecoder().decode(Bun.gunzipSync(fs.readFileSync(file)));
  } catch {
    return "";
  }
}

/** Whether an ELF file asks for a program interpreter (PT_INTERP): dynamically linked. */
export function isDynamicElf(file: string): boolean | undefined {
  try {
    const head = fs.readFileSync(file).subarray(0, 64 * 1024);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return undefined; // 64-bit little-endian ELF only
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + 4 > head.length) return undefined;
      if (head.readUInt32LE(at) === 3) return true; // PT_INTERP
    }
    return false;
  } catch {
    return undefined;
  }
}

function readRuntimes(config: Config): RuntimeFacts[] {
  return Object.entries(config.runtimes)
    .filter(([, h]) => h.runtimeType === "oci" && h.runtimePath !== "")
    .map(([handler, h]) => {
      const bin = readBinary(h.runtimePath);
      const isDefault = handler === config.runtime.defaultRuntime;
      const mountOptions = bin.problem === undefined ? readMountOptions(h.runtimePath) : undefined;
      return { ...bin, handler, isDefault, changelog: bin.problem === undefined ? packageChangelog(h.runtimePath) : "", ...(mountOptions && { mountOptions }) };
    });
}

const pluginTypes = (plugins: PluginConfig[]): string[] =>
  plugins.flatMap((p) => {
    const ipam = (p.ipam as { type?: unknown } | undefined)?.type;
    return typeof ipam === "string" && ipam !== "" ? [p.type, ipam] : [p.type];
  });

async function readCni(config: Config): Promise<CniFacts> {
  const { cni } = config;
  const loaded = await loadNetworkConfigs(cni.confDir, cni.maxConfNum);
  const networks = loaded.networks.map((n) => ({ name: n.name, source: n.source, pluginTypes: pluginTypes(n.plugins) }));
  const defaultPluginTypes = pluginTypes((defaultConflist(cni.defaultSubnet).plugins ?? []) as PluginConfig[]);
  const found: Record<string, string> = {};
  for (const type of new Set([...networks.flatMap((n) => n.pluginTypes), ...defaultPluginTypes])) {
    const at = await findPlugin(type, cni.binDirs);
    if (at !== undefined) found[type] = path.dirname(at);
  }
  return { confDir: cni.confDir, binDirs: cni.binDirs, networks, skipped: loaded.skipped, writeDefault: cni.writeDefault, defaultPluginTypes, found };
}

/** Controllers in use: v2's cgroup.controllers at the root, and the mounted v1 hierarchies of /proc/cgroups. */
function readControllers(): string[] {
  const v2 = readOr("/sys/fs/cgroup/cgroup.controllers", "").trim().split(/\s+/).filter(Boolean);
  const v1 = readOr("/proc/cgroups", "")
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.split(/\s+/))
    .filter(([name, hierarchy, , enabled]) => name && hierarchy !== "0" && enabled === "1")
    .map(([name]) => name as string);
  return [...new Set([...v2, ...v1])];
}

async function readSocket(config: Config): Promise<SocketFacts> {
  const s = config.server;
  const file = s.socket.replace(/^unix:\/\//, "");
  const facts: SocketFacts = { path: file, configuredMode: s.socketMode, configuredGroup: s.socketGroup };
  if (s.socketGroup !== "") facts.groupGid = await resolveGroup(s.socketGroup).catch(() => null);
  const dir = fs.statSync(path.dirname(file), { throwIfNoEntry: false });
  if (dir) facts.dirMode = dir.mode & 0o7777;
  const sock = fs.statSync(file, { throwIfNoEntry: false });
  if (sock?.isSocket()) {
    facts.socketMode = sock.mode & 0o7777;
    facts.socketGid = sock.gid;
  }
  return facts;
}

/** Free space of the filesystem `dir` is on (or will be on: its nearest existing parent). */
function readDisk(platform: Platform, dir: string): DiskFacts {
  let at = dir;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  try {
    const st = platform.statfs(at);
    return { path: dir, availBytes: st.bavail * st.blockSize, totalBytes: st.blocks * st.blockSize, availInodes: st.ffree, totalInodes: st.files };
  } catch (err) {
    return { path: dir, error: describeError(err) };
  }
}

/** `GET <mirror>/v2/` of every configured mirror, at once; any HTTP answer counts as reachable. */
async function probeMirrors(config: Config, timeoutMs: number): Promise<MirrorProbe[]> {
  const registryConfig = registryConfigFrom(config);
  const deps = { fetch: (url: string, init: BunFetchRequestInit) => fetch(url, init), tokens: createTokenCache(), retry: DEFAULT_RETRY, userAgent: "skiff-doctor", sleep, now: Date.now };
  const probes = Object.keys(config.registry.mirrors).flatMap((registry) => {
    let endpoints;
    try {
      endpoints = resolveEndpoints(registry, registryConfig).filter((e) => e.mirror);
    } catch (err) {
      return [Promise.resolve<MirrorProbe>({ registry, endpoint: "?", error: describeError(err) })];
    }
    return endpoints.map(async (e): Promise<MirrorProbe> => {
      const url = new URL(`${e.base}/v2/`);
      try {
        const tls = new EndpointTransport(e, deps).tlsFor(url);
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual", ...(tls && { tls }) });
        await res.body?.cancel();
        return { registry, endpoint: e.base, status: res.status };
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
        return { registry, endpoint: e.base, error: timedOut ? `no answer in ${timeoutMs} ms` : describeError(err) };
      }
    });
  });
  return Promise.all(probes);
}

/** Reads every fact the doctor's checks judge. */
export async function readDoctorFacts(config: Config, platform: Platform, opts: ReadFactsOptions = {}): Promise<DoctorFacts> {
  const host = detectHostFacts({ cgroupDriver: config.linux.cgroupDriver, restrictOomScoreAdj: config.linux.restrictOomScoreAdj });
  const maxUserns = Number.parseInt(readOr("/proc/sys/user/max_user_namespaces", ""), 10);
  const iptablesPath = Bun.which("iptables", { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` });
  let clock: DoctorFacts["clock"];
  try {
    clock = platform.clockSync();
  } catch {
    clock = undefined;
  }
  const [cni, socket, mirrors] = await Promise.all([readCni(config), readSocket(config), probeMirrors(config, opts.probeTimeoutMs ?? 3000)]);
  const infraBinary = config.linux.infraPath;
  return {
    configErrors: (await checkHost(config, "linux")).errors,
    runtimes: readRuntimes(config),
    conmon: readBinary(config.linux.conmonPath),
    infra:
      config.image.sandboxImage !== ""
        ? { kind: "image", image: config.image.sandboxImage }
        : {
            kind: "binary",
            binary: readBinary(infraBinary),
            everyPod: config.runtimes[config.runtime.defaultRuntime]?.sandboxProcess === "always",
            ...(isDynamicElf(infraBinary) && { dynamic: true }),
          },
    cni,
    cgroup: { layout: host.cgroupLayout, driver: host.cgroupDriver, controllers: readControllers() },
    filesystems: readOr("/proc/filesystems", "").split("\n").map((l) => l.split("\t").at(-1)?.trim() ?? "").filter(Boolean),
    kernelRelease: readOr("/proc/sys/kernel/osrelease", "").trim(),
    ...(Number.isInteger(maxUserns) && { maxUserNamespaces: maxUserns }),
    iptables: iptablesPath ? readBinary(iptablesPath) : { path: "iptables", problem: "not found on PATH" },
    socket,
    disk: readDisk(platform, config.paths.root),
    ...(clock && { clock }),
    mirrors,
  };
}
