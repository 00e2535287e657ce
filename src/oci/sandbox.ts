/**
 * The spec options of a pod's infra (sandbox) process (RunPodSandbox). Pure, like
 * container.ts: pinned namespace paths, pod file paths and host facts come in resolved.
 */
import type { PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { NamespaceMode } from "../wire/gen/runtime-v1.ts";
import type { RuntimeHandlerConfig } from "../config/schema.ts";
import { InvalidArgumentError } from "../errors.ts";
import { ANNOTATION, CONTAINER_TYPE_SANDBOX, passthroughAnnotations } from "./annotations.ts";
import { cgroupsPath } from "./build.ts";
import type { SpecHostFacts } from "./host.ts";
import { withAnnotations } from "./opts/annotations.ts";
import { withMounts, withoutMount } from "./opts/mounts.ts";
import { withNamespace, withoutNamespace } from "./opts/namespaces.ts";
import { toSafeNumber, withArgs, withCwd, withEnv, withHostname, withoutHostname, withRootReadonly, withUser } from "./opts/process.ts";
import { clampOomScoreAdj, withCgroupsPath, withCpuShares, withOomScoreAdj, withSysctls } from "./opts/resources.ts";
import { withoutDefaultSecurity } from "./opts/security.ts";
import { apparmorProfile } from "./apparmor-profile.ts";
import { withApparmorProfile, withSeccomp, withSelinuxLabels } from "./opts/confinement.ts";
import { seccompPlan } from "./seccomp-profile.ts";
import { selinuxLabels } from "./selinux-label.ts";
import type { Mount } from "./spec.ts";
import type { NamedOpt } from "./spec-opts.ts";

/** The infra process is the last thing the OOM killer should pick (kubelet's value). */
export const SANDBOX_OOM_SCORE_ADJ = -998;
/** The cpu weight of the infra process: it does nothing, so it needs next to none. */
export const SANDBOX_CPU_SHARES = 2;

export const SYSCTL_UNPRIVILEGED_PORT_START = "net.ipv4.ip_unprivileged_port_start";
export const SYSCTL_PING_GROUP_RANGE = "net.ipv4.ping_group_range";

export type SandboxSpecInput = {
  id: string;
  config: PodSandboxConfig;
  /** The infra process's command line. */
  args: string[];
  env?: string[];
  cwd?: string;
  handler: Pick<RuntimeHandlerConfig, "podAnnotations">;
  host: SpecHostFacts;
  /** Pinned namespaces to join; a missing one is created new (or is the host's in NODE mode). */
  namespacePaths: { net?: string; ipc?: string; uts?: string };
  /** The pod's /dev/shm on the host (the host's own /dev/shm in host IPC mode). */
  shm?: string;
  resolvConf?: string;
  /** Let unprivileged users bind ports below 1024 in the pod's netns (default true). */
  unprivilegedPorts?: boolean;
  /** Let unprivileged users ping in the pod's netns (default true; false in a user namespace). */
  unprivilegedIcmp?: boolean;
  /** Localhost seccomp profile texts by path, as for containers (`seccompLocalhostPath`). */
  seccompLocalhost?: Readonly<Record<string, string>>;
};

const FIELD = "config.linux.security_context";

function userOpts(config: PodSandboxConfig): NamedOpt[] {
  const sc = config.linux?.securityContext;
  if (!sc) return [];
  const id = (v: bigint, field: string) => {
    if (v < 0n || v > 0xffffffffn) throw new InvalidArgumentError(field, `${v} is not a valid id`);
    return toSafeNumber(v, field);
  };
  if (sc.runAsGroup && !sc.runAsUser) {
    throw new InvalidArgumentError(`${FIELD}.run_as_group`, "is set without run_as_user");
  }
  const groups = sc.supplementalGroups.map((g, i) => id(g, `${FIELD}.supplemental_groups[${i}]`));
  if (!sc.runAsUser && groups.length === 0) return [];
  const uid = sc.runAsUser ? id(sc.runAsUser.value, `${FIELD}.run_as_user`) : 0;
  const gid = sc.runAsGroup ? id(sc.runAsGroup.value, `${FIELD}.run_as_group`) : 0;
  return [["withUser", withUser(groups.length > 0 ? { uid, gid, additionalGids: groups } : { uid, gid })]];
}

function namespaceOpts(input: SandboxSpecInput): NamedOpt[] {
  const mode = input.config.linux?.securityContext?.namespaceOptions;
  const p = input.namespacePaths;
  const out: NamedOpt[] = [];
  if (mode?.network === NamespaceMode.NODE) {
    out.push(["withoutNamespace(network)", withoutNamespace("network")]);
    out.push(["withoutNamespace(uts)", withoutNamespace("uts")]);
    // runc refuses to set a hostname without a private UTS namespace.
    out.push(["withoutHostname", withoutHostname]);
  } else {
    out.push(["withNamespace(network)", withNamespace("network", p.net)]);
    out.push(["withNamespace(uts)", withNamespace("uts", p.uts)]);
    if (input.config.hostname) out.push(["withHostname", withHostname(input.config.hostname)]);
  }
  if (mode?.ipc === NamespaceMode.NODE) out.push(["withoutNamespace(ipc)", withoutNamespace("ipc")]);
  else out.push(["withNamespace(ipc)", withNamespace("ipc", p.ipc)]);
  if (mode?.pid === NamespaceMode.NODE) out.push(["withoutNamespace(pid)", withoutNamespace("pid")]);
  return out;
}

/**
 * The infra process is confined by the pod-level profiles (LinuxSandboxSecurityContext
 * seccomp/apparmor/selinux_options); a privileged pod's infra runs unconfined. These come
 * after `withoutDefaultSecurity`, which clears whatever the base carried.
 */
function confinementOpts(input: SandboxSpecInput): NamedOpt[] {
  const sc = input.config.linux?.securityContext;
  const privileged = sc?.privileged ?? false;
  const out: NamedOpt[] = [];
  const plan = seccompPlan(sc, FIELD, { privileged, arch: input.host.arch, localhost: input.seccompLocalhost });
  if (plan.kind !== "keep") out.push(["withSeccomp", withSeccomp(plan)]);
  const profile = apparmorProfile(sc, FIELD, input.host, privileged);
  if (profile !== undefined) out.push(["withApparmorProfile", withApparmorProfile(profile)]);
  const labels = selinuxLabels(sc?.selinuxOptions, `${FIELD}.selinux_options`, input.host, privileged);
  if (labels) out.push(["withSelinuxLabels", withSelinuxLabels(labels)]);
  return out;
}

/**
 * The pod's sysctls, plus two defaults for a pod with its own netns (the config's own
 * values win): unprivileged ports from 0, and ping for every group.
 */
export function sandboxSysctls(input: Pick<SandboxSpecInput, "config" | "unprivilegedPorts" | "unprivilegedIcmp">): Record<string, string> {
  const sysctls = { ...input.config.linux?.sysctls };
  const hostNetwork = input.config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
  if (!hostNetwork) {
    if ((input.unprivilegedPorts ?? true) && !(SYSCTL_UNPRIVILEGED_PORT_START in sysctls)) {
      sysctls[SYSCTL_UNPRIVILEGED_PORT_START] = "0";
    }
    if ((input.unprivilegedIcmp ?? true) && !(SYSCTL_PING_GROUP_RANGE in sysctls)) {
      sysctls[SYSCTL_PING_GROUP_RANGE] = "0 2147483647";
    }
  }
  return sysctls;
}

/** The annotations of a sandbox spec: passthrough first, then the CRI ones over them. */
export function sandboxAnnotations(input: SandboxSpecInput): Record<string, string> {
  const { config } = input;
  const out: Record<string, string> = passthroughAnnotations(config.annotations, input.handler.podAnnotations);
  // For VM runtimes (Kata) that size the VM at creation: the pod's total resources.
  const res = config.linux?.resources;
  if (res) {
    out[ANNOTATION.sandboxCpuPeriod] = res.cpuPeriod.toString(10);
    out[ANNOTATION.sandboxCpuQuota] = res.cpuQuota.toString(10);
    out[ANNOTATION.sandboxCpuShares] = res.cpuShares.toString(10);
    out[ANNOTATION.sandboxMemory] = res.memoryLimitInBytes.toString(10);
  }
  out[ANNOTATION.containerType] = CONTAINER_TYPE_SANDBOX;
  out[ANNOTATION.sandboxId] = input.id;
  out[ANNOTATION.sandboxNamespace] = config.metadata?.namespace ?? "";
  out[ANNOTATION.sandboxName] = config.metadata?.name ?? "";
  out[ANNOTATION.sandboxUid] = config.metadata?.uid ?? "";
  out[ANNOTATION.sandboxLogDirectory] = config.logDirectory;
  return out;
}

/** The options that turn the base spec into the spec of sandbox `input.id`. */
export function sandboxSpecOpts(input: SandboxSpecInput): NamedOpt[] {
  const { config } = input;
  if (!config.metadata?.name) throw new InvalidArgumentError("config.metadata.name", "is empty");
  if (input.args.length === 0) throw new InvalidArgumentError("sandbox.args", "the infra process has no command");
  const mounts: Mount[] = [];
  const bindRo = (source: string, destination: string): Mount => ({
    destination,
    type: "bind",
    source,
    options: ["rbind", "ro"],
  });
  if (input.shm) mounts.push(bindRo(input.shm, "/dev/shm"));
  // resolv.conf is there for VM runtimes, which set up the pod VM's DNS from it.
  if (input.resolvConf) mounts.push(bindRo(input.resolvConf, "/etc/resolv.conf"));
  const oom = clampOomScoreAdj(SANDBOX_OOM_SCORE_ADJ, input.host);
  return [
    ["withoutMount(/run)", withoutMount("/run")],
    ["withoutDefaultSecurity", withoutDefaultSecurity],
    ...confinementOpts(input),
    ["withEnv", withEnv(input.env ?? [])],
    ["withRootReadonly", withRootReadonly(true)],
    ["withArgs", withArgs(input.args)],
    ["withCwd", withCwd(input.cwd ?? "/")],
    ["withCgroupsPath", withCgroupsPath(cgroupsPath(input.host.cgroupDriver, config.linux?.cgroupParent ?? "", input.id))],
    ...namespaceOpts(input),
    ["withMounts", withMounts(mounts)],
    ...userOpts(config),
    ["withSysctls", withSysctls(sandboxSysctls(input))],
    ["withCpuShares", withCpuShares(SANDBOX_CPU_SHARES)],
    ["withOomScoreAdj", withOomScoreAdj(oom)],
    ["withAnnotations", withAnnotations(sandboxAnnotations(input))],
  ];
}
