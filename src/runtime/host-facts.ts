import * as fs from "node:fs";
import * as path from "node:path";
import { readOr } from "./read-or.ts";

export type CgroupDriver = "systemd" | "cgroupfs";
export type CgroupLayout = "v1" | "v2" | "hybrid" | "none";

/** Facts about the host that spec generation and the RuntimeConfig RPC need, read once at start. */
export type HostFacts = {
  cgroupDriver: CgroupDriver;
  cgroupLayout: CgroupLayout;
  /** Whether this process may lower oom_score_adj (needs CAP_SYS_RESOURCE). */
  canLowerOomScoreAdj: boolean;
};

export type HostFactsInput = {
  /** "auto" picks systemd when systemd runs the host, as kubelets on such hosts expect. */
  cgroupDriver: "auto" | CgroupDriver;
  /** "auto" detects CAP_SYS_RESOURCE; true/false force the clamp on or off. */
  restrictOomScoreAdj: "auto" | boolean;
  /** Root of the host filesystem; a temp dir in tests. */
  root?: string;
};

const CAP_SYS_RESOURCE = 24n;

/** Reads the effective capability mask from /proc/self/status. */
function hasCapability(root: string, cap: bigint): boolean {
  const status = readOr(path.join(root, "proc/self/status"), "");
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m?.[1]) return false;
  return ((BigInt(`0x${m[1]}`) >> cap) & 1n) === 1n;
}

/** Works out the cgroup layout from the mount table. */
export function detectCgroupLayout(mountinfo: string): CgroupLayout {
  let v1 = false;
  let v2At = "";
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const mountPoint = line.split(" ")[4] ?? "";
    const fstype = line.slice(sep + 3).split(" ")[0];
    if (fstype === "cgroup2") v2At = mountPoint;
    if (fstype === "cgroup") v1 = true;
  }
  if (v2At === "/sys/fs/cgroup" && !v1) return "v2";
  if (v1) return v2At ? "hybrid" : "v1";
  return v2At ? "v2" : "none";
}

/** Gathers host facts. Pure reads of /proc and /run; no side effects. */
export function detectHostFacts(input: HostFactsInput): HostFacts {
  const root = input.root ?? "/";
  const systemdRuns = fs.existsSync(path.join(root, "run/systemd/system"));
  const cgroupDriver = input.cgroupDriver === "auto" ? (systemdRuns ? "systemd" : "cgroupfs") : input.cgroupDriver;
  const canLower =
    input.restrictOomScoreAdj === "auto" ? hasCapability(root, CAP_SYS_RESOURCE) : !input.restrictOomScoreAdj;
  return {
    cgroupDriver,
    cgroupLayout: detectCgroupLayout(readOr(path.join(root, "proc/self/mountinfo"), "")),
    canLowerOomScoreAdj: canLower,
  };
}
