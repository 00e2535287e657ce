/**
 * Spec options for Windows containers and sandboxes: the `windows` section, the user by
 * name, no root. Pure, like every option (the mounts' host paths are prepared by the
 * caller before the spec is built).
 */
import type { Device, Mount as CriMount, WindowsContainerResources } from "../../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../../errors.ts";
import { processOf } from "../spec.ts";
import type { Mount, Spec, Windows, WindowsResources } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";
import { toSafeNumber } from "./process.ts";

/** The cpu weight of a sandbox (pause) container, as containerd gives it on Windows. */
export const WINDOWS_SANDBOX_CPU_SHARES = 2;

function windowsOf(s: Spec): Windows {
  s.windows ??= {};
  return s.windows;
}

function resourcesOf(s: Spec): WindowsResources {
  const w = windowsOf(s);
  w.resources ??= {};
  return w.resources;
}

/** No `root`: hcsshim mounts the layers and fills it in (a readonly root is not possible on Windows). */
export const withoutRoot: SpecOpt = (s) => {
  delete s.root;
};

export const withWindowsNetworkNamespace =
  (namespace: string): SpecOpt =>
  (s) => {
    const w = windowsOf(s);
    w.network = { ...w.network, networkNamespace: namespace };
  };

/** The user a Windows process runs as, by name (`ContainerUser`, `ContainerAdministrator`, `DOMAIN\\user`). */
export const withUsername =
  (username: string): SpecOpt =>
  (s) => {
    const p = processOf(s);
    p.user = { uid: 0, gid: 0, username };
  };

export const withWindowsCredentialSpec =
  (credentialSpec: string): SpecOpt =>
  (s) => {
    windowsOf(s).credentialSpec = credentialSpec;
  };

/** Sets the cpu weight, over whatever the base had. */
export const withWindowsCpuShares =
  (shares: number): SpecOpt =>
  (s) => {
    const r = resourcesOf(s);
    r.cpu = { ...r.cpu, shares };
  };

/**
 * CRI Windows resources onto `windows.resources`; zero means "not set", as in CRI, and
 * keeps what the base had. `field` names the CRI message in errors.
 */
export function withWindowsResources(r: WindowsContainerResources, field: string): SpecOpt {
  const num = (v: bigint, name: string, max?: number): number | undefined => {
    if (v < 0n) throw new InvalidArgumentError(`${field}.${name}`, `${v} is negative`);
    const n = toSafeNumber(v, `${field}.${name}`);
    if (max !== undefined && n > max) throw new InvalidArgumentError(`${field}.${name}`, `${v} is above ${max}`);
    return n === 0 ? undefined : n;
  };
  const count = num(r.cpuCount, "cpu_count");
  // The OCI spec holds shares as a uint16; a maximum is a share of all processors in
  // 1/10000ths (CRI and HCS agree on that range).
  const shares = num(r.cpuShares, "cpu_shares", 0xffff);
  const maximum = num(r.cpuMaximum, "cpu_maximum", 10_000);
  const limit = num(r.memoryLimitInBytes, "memory_limit_in_bytes");
  const affinity = r.affinityCpus.map((a) => ({ mask: toSafeNumber(a.cpuMask, `${field}.affinity_cpus`), group: a.cpuGroup }));
  return (s) => {
    const res = resourcesOf(s);
    const cpu = { ...res.cpu };
    if (count !== undefined) cpu.count = count;
    if (shares !== undefined) cpu.shares = shares;
    if (maximum !== undefined) cpu.maximum = maximum;
    if (affinity.length > 0) cpu.affinity = affinity;
    if (Object.keys(cpu).length > 0) res.cpu = cpu;
    if (limit !== undefined) res.memory = { ...res.memory, limit };
  };
}

/** `\\.\pipe\name`: a named pipe, mapped into the container rather than bind mounted. */
export const isNamedPipe = (p: string): boolean => p.startsWith("\\\\.\\pipe\\");

/** A Windows path cleaned as filepath.Clean would on Windows: one separator kind, no `.`, `..` resolved. */
export function cleanWindowsPath(p: string): string {
  const drive = /^[A-Za-z]:/.exec(p)?.[0] ?? "";
  const rest = p.slice(drive.length).replaceAll("/", "\\");
  const rooted = rest.startsWith("\\");
  const out: string[] = [];
  for (const part of rest.split("\\")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const body = out.join("\\");
  return `${drive}${rooted ? "\\" : ""}${body}` || ".";
}

/**
 * One CRI mount as the spec mount hcsshim maps: a named pipe as is; a directory with its
 * destination cleaned (a path starting `\` is put on C:, a bare drive letter other than
 * C: is a whole volume). The source is taken as given: the caller has resolved it on the
 * host (symlinks followed, cleaned), as containerd does before building the spec.
 * Options say `ro` or `rw`. `field` names the mount in errors.
 */
export function windowsMount(m: CriMount, field: string): Mount {
  let dst = m.containerPath;
  const src = m.hostPath;
  if (src === "") throw new InvalidArgumentError(`${field}.host_path`, "is empty");
  if (dst === "") throw new InvalidArgumentError(`${field}.container_path`, "is empty");
  if (!isNamedPipe(src)) {
    if (/^[A-Za-z]:$/.test(dst)) {
      if (dst[0] === "c" || dst[0] === "C") throw new InvalidArgumentError(`${field}.container_path`, "can not be the C drive");
    } else {
      dst = cleanWindowsPath(dst);
      if (dst.startsWith("\\")) dst = `C:${dst}`;
    }
  }
  return { source: src, destination: dst, options: [m.readonly ? "ro" : "rw"] };
}

/** How deep a destination is: its separators once cleaned (a pipe as written), as containerd orders mounts. */
const depth = (p: string) => (isNamedPipe(p) ? p : cleanWindowsPath(p)).split("\\").length - 1;

/**
 * The CRI mounts, parents first, replacing any mount of the spec (the base's) at the
 * same destination.
 */
export const withWindowsMounts =
  (mounts: readonly Mount[]): SpecOpt =>
  (s) => {
    const key = (d: string) => (isNamedPipe(d) ? d : cleanWindowsPath(d).toLowerCase());
    const dests = new Set(mounts.map((m) => key(m.destination)));
    const kept = (s.mounts ?? []).filter((m) => !dests.has(key(m.destination)));
    const ordered = mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i);
    s.mounts = [...kept, ...ordered.map(({ m }) => structuredClone(m))];
  };

/**
 * CRI devices as `windows.devices`: a host path of the form `IDType://ID` (`class/GUID`
 * is accepted for `class://GUID`); container path and permissions must be empty.
 */
export function windowsDevices(devices: readonly Device[]): { id: string; idType: string }[] {
  return devices.map((d, i) => {
    const field = `config.devices[${i}]`;
    if (d.containerPath !== "") throw new InvalidArgumentError(`${field}.container_path`, `must be empty on Windows, got "${d.containerPath}"`);
    if (d.permissions !== "") throw new InvalidArgumentError(`${field}.permissions`, `must be empty on Windows, got "${d.permissions}"`);
    const host = d.hostPath.startsWith("class/") ? `class://${d.hostPath.slice("class/".length)}` : d.hostPath;
    const sep = host.indexOf("://");
    if (sep <= 0) throw new InvalidArgumentError(`${field}.host_path`, `"${d.hostPath}" does not match IDType://ID`);
    return { idType: host.slice(0, sep), id: host.slice(sep + 3) };
  });
}

export const withWindowsDevices =
  (devices: readonly { id: string; idType: string }[]): SpecOpt =>
  (s) => {
    const w = windowsOf(s);
    w.devices = [...(w.devices ?? []), ...devices.map((d) => ({ ...d }))];
  };
