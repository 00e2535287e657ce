/** Resource options: cgroup limits, oom_score_adj, sysctls, cgroups path. */
import type { LinuxContainerResources } from "../../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../../errors.ts";
import { linuxOf, processOf, resourcesOf } from "../spec.ts";
import type { Resources } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";
import { toSafeNumber } from "./process.ts";

/**
 * The OCI resources for CRI `LinuxContainerResources`. Zero means "not set" in CRI, so
 * zero fields are left out and the base's values stand. `field` prefixes error names.
 */
export function toOciResources(r: LinuxContainerResources, field: string): Resources {
  const num = (v: bigint, name: string, min: bigint): number | undefined => {
    if (v < min) throw new InvalidArgumentError(`${field}.${name}`, `${v} is negative`);
    return v === 0n ? undefined : toSafeNumber(v, `${field}.${name}`);
  };
  const out: Resources = {};
  const cpu = {
    shares: num(r.cpuShares, "cpu_shares", 0n),
    // -1 is "no quota" in the cgroup v1 interface; anything lower is nonsense.
    quota: num(r.cpuQuota, "cpu_quota", -1n),
    period: num(r.cpuPeriod, "cpu_period", 0n),
    cpus: r.cpusetCpus || undefined,
    mems: r.cpusetMems || undefined,
  };
  if (Object.values(cpu).some((v) => v !== undefined)) out.cpu = dropUndefined(cpu);
  const memory = {
    limit: num(r.memoryLimitInBytes, "memory_limit_in_bytes", 0n),
    // -1 is "unlimited swap".
    swap: num(r.memorySwapLimitInBytes, "memory_swap_limit_in_bytes", -1n),
  };
  if (Object.values(memory).some((v) => v !== undefined)) out.memory = dropUndefined(memory);
  if (r.hugepageLimits.length > 0) {
    out.hugepageLimits = r.hugepageLimits.map((h, i) => {
      if (!h.pageSize) throw new InvalidArgumentError(`${field}.hugepage_limits[${i}].page_size`, "is empty");
      return { pageSize: h.pageSize, limit: toSafeNumber(h.limit, `${field}.hugepage_limits[${i}].limit`) };
    });
  }
  if (Object.keys(r.unified).length > 0) out.unified = { ...r.unified };
  return out;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Merges `res` into the spec's resources, field by field, keeping what `res` leaves out. */
export const withResources =
  (res: Resources): SpecOpt =>
  (s) => {
    const cur = resourcesOf(s);
    if (res.cpu) cur.cpu = { ...cur.cpu, ...res.cpu };
    if (res.memory) cur.memory = { ...cur.memory, ...res.memory };
    if (res.hugepageLimits) cur.hugepageLimits = res.hugepageLimits.map((h) => ({ ...h }));
    if (res.unified) cur.unified = { ...cur.unified, ...res.unified };
  };

/** Sets the cpu weight, over whatever the base had (the sandbox's fixed weight). */
export const withCpuShares =
  (shares: number): SpecOpt =>
  (s) => {
    const res = resourcesOf(s);
    res.cpu = { ...res.cpu, shares };
  };

export type OomPolicy = {
  /** Whether skiff may give a child a lower oom_score_adj than its own. */
  canLowerOomScoreAdj: boolean;
  /** skiff's own oom_score_adj (read from /proc/self/oom_score_adj before spec generation). */
  ownOomScoreAdj: number;
};

/**
 * The oom_score_adj a child can really get: without CAP_SYS_RESOURCE (say, in a user
 * namespace) the kernel refuses a value below our own, so we ask for our own instead of
 * failing the container.
 */
export function clampOomScoreAdj(want: number, policy: OomPolicy): number {
  return !policy.canLowerOomScoreAdj && want < policy.ownOomScoreAdj ? policy.ownOomScoreAdj : want;
}

export function checkOomScoreAdj(v: bigint, field: string): number {
  if (v < -1000n || v > 1000n) throw new InvalidArgumentError(field, `${v} is outside [-1000, 1000]`);
  return Number(v);
}

export const withOomScoreAdj =
  (adj: number): SpecOpt =>
  (s) => {
    processOf(s).oomScoreAdj = adj;
  };

export const withSysctls =
  (sysctls: Readonly<Record<string, string>>): SpecOpt =>
  (s) => {
    const linux = linuxOf(s);
    linux.sysctl = { ...linux.sysctl, ...sysctls };
  };

export const withCgroupsPath =
  (path: string): SpecOpt =>
  (s) => {
    linuxOf(s).cgroupsPath = path;
  };
