/**
 * The host reads spec generation needs, done before it runs so `src/oci` stays pure
 * (DESIGN.md rule 1): the facts that hold for every container, the device nodes a
 * container asks for, and a Localhost seccomp profile's text.
 */
import * as fs from "node:fs";
import type { DeviceInfo } from "../oci/devices.ts";
import type { SpecHostFacts } from "../oci/host.ts";
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
  };
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
