/**
 * The host reads spec generation needs, done before it runs so `src/oci` stays pure
 * (DESIGN.md rule 1): the facts that hold for every container, the device nodes a
 * container asks for (or all of them, for a privileged one), and a Localhost seccomp
 * profile's text.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContainerConfig } from "../gen/runtime/v1/api_pb.ts";
import type { DeviceInfo } from "../oci/devices.ts";
import type { SpecHostFacts } from "../oci/host.ts";
import { ALL_CAPABILITIES } from "../oci/opts/security.ts";
import type { LinuxDevice } from "../oci/spec.ts";
import { type SeccompFields, seccompLocalhostPath } from "../oci/seccomp-profile.ts";
import type { HostFacts } from "./host-facts.ts";
import { readOr } from "./read-or.ts";

/** The Go/OCI name of this process's architecture. */
function ociArch(): string | undefined {
  return ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];
}

/** Host facts for spec generation: cgroups and OOM facts plus LSMs, arch and skiff's own oom_score_adj. */
export function readSpecHostFacts(facts: Pick<HostFacts, "cgroupDriver" | "canLowerOomScoreAdj">): SpecHostFacts {
  return {
    cgroupDriver: facts.cgroupDriver,
    canLowerOomScoreAdj: facts.canLowerOomScoreAdj,
    ownOomScoreAdj: Number.parseInt(readOr("/proc/self/oom_score_adj", "0"), 10) || 0,
    apparmor: readOr("/sys/module/apparmor/parameters/enabled", "N").trim() === "Y",
    selinux: fs.existsSync("/sys/fs/selinux/enforce"),
    arch: ociArch(),
    capabilities: capabilityNames(readOr("/proc/self/status", "")),
  };
}

/**
 * The names of the capabilities in the `CapBnd` line of a /proc/<pid>/status text (bit
 * n is capability n); undefined when there is no such line. Bits newer than skiff's list
 * are left out.
 */
export function capabilityNames(status: string): string[] | undefined {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return undefined;
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/**
 * `host` plus the host's device nodes when `config` is a privileged container whose
 * handler hands them out (read at each create: devices come and go).
 */
export function specHostFor(
  host: SpecHostFacts,
  config: Pick<ContainerConfig, "linux"> | undefined,
  privilegedWithoutHostDevices: boolean,
): SpecHostFacts {
  const wants = config?.linux?.securityContext?.privileged && !privilegedWithoutHostDevices;
  return wants ? { ...host, devices: readHostDevices() } : host;
}

/**
 * Directories under /dev whose nodes are not the host's devices to hand out: a
 * container gets its own pts, shm and mqueue, and /dev/fd is a per-process view.
 */
const NOT_HOST_DEVICES = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);

/**
 * Every char and block device node under `dir` (default /dev), for a privileged
 * container: symlinks are not followed, /dev/console is left to the runtime, which makes
 * the container's own.
 */
export function readHostDevices(dir = "/dev"): LinuxDevice[] {
  const out: LinuxDevice[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // gone, or not readable: nothing to hand out from it
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!(d === dir && NOT_HOST_DEVICES.has(e.name))) walk(p);
      } else if ((e.isCharacterDevice() || e.isBlockDevice()) && p !== path.join(dir, "console")) {
        const info = statDevices([p])[p];
        if (info) out.push({ path: p, ...info });
      }
    }
  };
  walk(dir);
  return out;
}

/** stat(2) of each device path; a path that is not a device node is left out (and so refused). */
export function statDevices(paths: readonly string[]): Record<string, DeviceInfo> {
  const out: Record<string, DeviceInfo> = {};
  for (const p of paths) {
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(p, { bigint: true });
    } catch {
      continue;
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
    // glibc's major()/minor() split of dev_t.
    const rdev = st.rdev;
    const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
    const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
    out[p] = { type: st.isCharacterDevice() ? "c" : "b", major, minor, fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
  }
  return out;
}

/**
 * The Localhost seccomp profile a security context names, keyed by its path; an
 * unreadable one is left out, and spec generation then refuses it naming the field.
 */
export function readSeccompLocalhost(sc: SeccompFields | undefined, field: string): Record<string, string> | undefined {
  const p = seccompLocalhostPath(sc, field);
  const text = p === undefined ? undefined : readOr(p, undefined);
  return p !== undefined && text !== undefined ? { [p]: text } : undefined;
}
