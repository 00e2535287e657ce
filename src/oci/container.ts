/**
 * The spec options of an application container (CreateContainer). Pure: every input is
 * resolved by the caller; this file only decides. Validation happens here, eagerly, so a
 * bad request fails before anything is applied, with the CRI field named in the error.
 */
import type { ContainerConfig, PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { NamespaceMode } from "../wire/gen/runtime-v1.ts";
import type { RuntimeHandlerConfig } from "../config/schema.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { ImageConfig } from "../image/manifest.ts";
import { ANNOTATION, CONTAINER_TYPE_CONTAINER, passthroughAnnotations } from "./annotations.ts";
import { cgroupsPath } from "./build.ts";
import type { SpecHostFacts } from "./host.ts";
import { withAnnotations } from "./opts/annotations.ts";
import { apparmorProfile } from "./apparmor-profile.ts";
import { criDevices } from "./devices.ts";
import type { DeviceInfo } from "./devices.ts";
import { imageVolumeMounts } from "./image-volumes.ts";
import { withApparmorProfile, withSeccomp, withSelinuxLabels } from "./opts/confinement.ts";
import { withDevices } from "./opts/devices.ts";
import { bindMount, criMountToOci, rootfsPropagationFor, withMounts, withRootfsPropagation } from "./opts/mounts.ts";
import { withNamespace, withoutNamespace } from "./opts/namespaces.ts";
import {
  resolveArgs,
  withArgs,
  withCwd,
  withDefaultPathEnv,
  withEnv,
  withoutHostname,
  withRootReadonly,
  withTerminal,
  withUser,
} from "./opts/process.ts";
import { checkOomScoreAdj, clampOomScoreAdj, toOciResources, withCgroupsPath, withOomScoreAdj, withResources } from "./opts/resources.ts";
import {
  withCapabilities,
  withMaskedPaths,
  withNoNewPrivileges,
  withPrivileged,
  withReadonlyPaths,
} from "./opts/security.ts";
import { seccompPlan } from "./seccomp-profile.ts";
import { selinuxLabels } from "./selinux-label.ts";
import type { Mount, User } from "./spec.ts";
import type { NamedOpt } from "./spec-opts.ts";
import { containerUser } from "./user.ts";

/** The files every container of a pod shares, on the host. */
export type SandboxPaths = { hostname: string; hosts: string; resolvConf: string; shm: string };

/** The pod's namespaces as paths the runtime can join (pinned files or /proc/<pid>/ns/*). */
export type NamespacePaths = {
  net?: string;
  ipc?: string;
  uts?: string;
  /** The pod's pid ns for POD mode; the target container's for TARGET mode. */
  pid?: string;
};

export type ContainerSpecInput = {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  sandboxConfig: PodSandboxConfig;
  /** `name` is what the kubelet asked for; it goes into the image-name annotation. */
  image: { name: string; ref?: string; spec: ImageConfig };
  handler: Pick<RuntimeHandlerConfig, "podAnnotations" | "containerAnnotations" | "privilegedWithoutHostDevices">;
  host: SpecHostFacts;
  /** The pod's hostname (the node's when the pod uses the host network), for `HOSTNAME`. */
  hostname: string;
  sandboxPaths: SandboxPaths;
  namespacePaths: NamespacePaths;
  /** The pod's cgroup parent (`LinuxPodSandboxConfig.cgroup_parent`). */
  cgroupParent: string;
  /**
   * The user looked up in the rootfs's /etc/passwd (and its groups in /etc/group):
   * `run_as_username` when set, else the image's `User` when it is a name.
   */
  user?: User;
  /**
   * The text of Localhost seccomp profiles, by absolute path: the caller reads the file
   * `seccompLocalhostPath(config.linux.security_context, ...)` names before calling.
   */
  seccompLocalhost?: Readonly<Record<string, string>>;
  /** stat(2) of each host path `deviceHostPaths(config)` lists. */
  deviceInfo?: Readonly<Record<string, DeviceInfo>>;
  /**
   * A container-private dir for the image's `Volumes`; each gets `<dir>/<dirName>` from
   * `imageVolumePaths`, which the caller creates. Without it, volume paths are plain
   * directories of the rootfs (in its writable layer), which is also what they hold.
   */
  imageVolumesDir?: string;
};

const decoder = new TextDecoder();

/** The env of the container: image env, then the CRI envs; a later key wins. */
function containerEnv(input: ContainerSpecInput): string[] {
  const fromConfig = input.config.envs.map((kv, i) => {
    if (kv.key === "") throw new InvalidArgumentError(`config.envs[${i}].key`, "is empty");
    if (kv.key.includes("=")) throw new InvalidArgumentError(`config.envs[${i}].key`, `"${kv.key}" contains "="`);
    return `${kv.key}=${decoder.decode(kv.value)}`;
  });
  return [`HOSTNAME=${input.hostname}`, ...input.image.spec.config.env, ...fromConfig];
}

/** CRI mounts plus the pod's files; a CRI mount at a pod file's path replaces it. */
function containerMounts(input: ContainerSpecInput): Mount[] {
  const seen = new Set<string>();
  const cri = input.config.mounts.map((m, i) => {
    const field = `config.mounts[${i}]`;
    const mount = criMountToOci(m, field);
    if (seen.has(mount.destination)) {
      throw new InvalidArgumentError(`${field}.container_path`, `"${mount.destination}" is mounted twice`);
    }
    seen.add(mount.destination);
    return mount;
  });
  const ro = input.config.linux?.securityContext?.readonlyRootfs ?? false;
  const p = input.sandboxPaths;
  const podFiles: Mount[] = [
    bindMount(p.hostname, "/etc/hostname", ro),
    bindMount(p.hosts, "/etc/hosts", ro),
    bindMount(p.resolvConf, "/etc/resolv.conf", ro),
    bindMount(p.shm, "/dev/shm", false),
  ].filter((m) => m.source !== "" && !seen.has(m.destination));
  const volumes = input.imageVolumesDir ? imageVolumeMounts(input.image.spec, input.config, input.imageVolumesDir) : [];
  return [...podFiles, ...volumes.filter((v) => !seen.has(v.destination)), ...cri];
}

/**
 * Network, UTS and IPC are always the pod's: the host's when the pod uses the host's,
 * else the pod's pinned ones, whatever the container's own NamespaceOption says (the
 * kubelet copies the pod's modes there; containerd joins the pod's namespaces the same
 * way). PID is the container's choice: its own (CONTAINER), the pod's (POD, the CRI
 * default: refused in a pod of PID mode CONTAINER, which shares none), the host's
 * (NODE), or a running container's of the same pod (TARGET, whose pid ns the caller
 * resolved into `namespacePaths.pid`).
 */
function namespaceOpts(input: ContainerSpecInput): NamedOpt[] {
  const pod = input.sandboxConfig.linux?.securityContext?.namespaceOptions;
  const mode = input.config.linux?.securityContext?.namespaceOptions;
  const paths = input.namespacePaths;
  const field = "config.linux.security_context.namespace_options";
  const podNs = (path: string | undefined, what: string): string => {
    if (!path) throw new FailedPreconditionError(`sandbox "${input.sandboxId}" has no ${what} namespace to join`);
    return path;
  };
  const out: NamedOpt[] = [];
  if (pod?.network === NamespaceMode.NODE) {
    out.push(["withoutNamespace(network)", withoutNamespace("network")]);
    out.push(["withoutNamespace(uts)", withoutNamespace("uts")]);
  } else {
    out.push(["withNamespace(network)", withNamespace("network", podNs(paths.net, "network"))]);
    out.push(["withNamespace(uts)", withNamespace("uts", podNs(paths.uts, "UTS"))]);
  }
  if (pod?.ipc === NamespaceMode.NODE) out.push(["withoutNamespace(ipc)", withoutNamespace("ipc")]);
  else out.push(["withNamespace(ipc)", withNamespace("ipc", podNs(paths.ipc, "IPC"))]);
  switch (mode?.pid ?? NamespaceMode.POD) {
    case NamespaceMode.NODE:
      out.push(["withoutNamespace(pid)", withoutNamespace("pid")]);
      break;
    case NamespaceMode.CONTAINER:
      out.push(["withNamespace(pid)", withNamespace("pid")]);
      break;
    case NamespaceMode.TARGET:
      if (!mode?.targetId) throw new InvalidArgumentError(`${field}.target_id`, "is empty for pid mode TARGET");
      if (!paths.pid) throw new FailedPreconditionError(`target container "${mode.targetId}" has no pid namespace to join`);
      out.push(["withNamespace(pid)", withNamespace("pid", paths.pid)]);
      break;
    default:
      // POD: the pod's PID namespace. A host-PID pod's is the host's; a pod of PID mode
      // CONTAINER has none (no process holds one), so asking for it is the caller's error.
      if (paths.pid) out.push(["withNamespace(pid)", withNamespace("pid", paths.pid)]);
      else if (pod?.pid === NamespaceMode.NODE) out.push(["withoutNamespace(pid)", withoutNamespace("pid")]);
      else if (pod?.pid === NamespaceMode.CONTAINER) throw new InvalidArgumentError(`${field}.pid`, "is POD, but the pod shares no PID namespace (its PID mode is CONTAINER)");
      else out.push(["withNamespace(pid)", withNamespace("pid", podNs(paths.pid, "PID"))]);
  }
  return out;
}

function securityOpts(input: ContainerSpecInput): NamedOpt[] {
  const sc = input.config.linux?.securityContext;
  const out: NamedOpt[] = [];
  if (sc?.privileged) {
    if (!input.sandboxConfig.linux?.securityContext?.privileged) {
      throw new InvalidArgumentError("config.linux.security_context.privileged", "the pod sandbox is not privileged");
    }
    const devices = input.handler.privilegedWithoutHostDevices ? undefined : (input.host.devices ?? []);
    out.push(["withPrivileged", withPrivileged(devices, input.host.capabilities)]);
  } else {
    const caps = sc?.capabilities;
    if (caps) {
      const change = { add: caps.addCapabilities, drop: caps.dropCapabilities, ambient: caps.addAmbientCapabilities };
      out.push(["withCapabilities", withCapabilities(change, input.host.capabilities)]);
    }
    if (sc && sc.maskedPaths.length > 0) out.push(["withMaskedPaths", withMaskedPaths(sc.maskedPaths)]);
    if (sc && sc.readonlyPaths.length > 0) out.push(["withReadonlyPaths", withReadonlyPaths(sc.readonlyPaths)]);
  }
  if (sc?.noNewPrivs) out.push(["withNoNewPrivileges", withNoNewPrivileges]);
  return out;
}

/** Seccomp, AppArmor and SELinux; after the capability options, which seccomp reads. */
function confinementOpts(input: ContainerSpecInput): NamedOpt[] {
  const sc = input.config.linux?.securityContext;
  const field = "config.linux.security_context";
  const privileged = sc?.privileged ?? false;
  const out: NamedOpt[] = [];
  const plan = seccompPlan(sc, field, { privileged, arch: input.host.arch, localhost: input.seccompLocalhost });
  if (plan.kind !== "keep") out.push(["withSeccomp", withSeccomp(plan)]);
  out.push(["withApparmorProfile", withApparmorProfile(apparmorProfile(sc, field, input.host, privileged))]);
  const labels = selinuxLabels(sc?.selinuxOptions, `${field}.selinux_options`, input.host, privileged);
  if (labels) out.push(["withSelinuxLabels", withSelinuxLabels(labels)]);
  return out;
}

function deviceOpts(input: ContainerSpecInput): NamedOpt[] {
  if (input.config.devices.length === 0) return [];
  const { devices, rules } = criDevices(input.config, input.deviceInfo ?? {});
  return [["withDevices", withDevices(devices, rules)]];
}

function resourceOpts(input: ContainerSpecInput): NamedOpt[] {
  const r = input.config.linux?.resources;
  if (!r) return [];
  const field = "config.linux.resources";
  const out: NamedOpt[] = [["withResources", withResources(toOciResources(r, field))]];
  if (r.oomScoreAdj !== 0n) {
    const adj = clampOomScoreAdj(checkOomScoreAdj(r.oomScoreAdj, `${field}.oom_score_adj`), {
      canLowerOomScoreAdj: input.host.canLowerOomScoreAdj,
      ownOomScoreAdj: input.host.ownOomScoreAdj,
    });
    out.push(["withOomScoreAdj", withOomScoreAdj(adj)]);
  }
  return out;
}

/** The CRI annotations of a container, written last so passthrough cannot fake them. */
function annotationOpts(input: ContainerSpecInput): NamedOpt[] {
  const pod = input.sandboxConfig;
  const passthrough = {
    ...passthroughAnnotations(pod.annotations, input.handler.podAnnotations),
    ...passthroughAnnotations(input.config.annotations, input.handler.containerAnnotations),
  };
  const cri: Record<string, string> = {
    [ANNOTATION.containerType]: CONTAINER_TYPE_CONTAINER,
    [ANNOTATION.containerName]: input.config.metadata?.name ?? "",
    [ANNOTATION.sandboxId]: input.sandboxId,
    [ANNOTATION.sandboxName]: pod.metadata?.name ?? "",
    [ANNOTATION.sandboxNamespace]: pod.metadata?.namespace ?? "",
    [ANNOTATION.sandboxUid]: pod.metadata?.uid ?? "",
    [ANNOTATION.imageName]: input.image.name,
  };
  return [
    ["withPassthroughAnnotations", withAnnotations(passthrough)],
    ["withCriAnnotations", withAnnotations(cri)],
  ];
}

/**
 * The options that turn a base spec into the spec of container `input.id`, in the order
 * they must run. Throws `InvalidArgumentError` naming the CRI field for bad input.
 */
export function containerSpecOpts(input: ContainerSpecInput): NamedOpt[] {
  const { config, image } = input;
  if (!config.metadata?.name) throw new InvalidArgumentError("config.metadata.name", "is empty");
  const args = resolveArgs(config.command, config.args, image.spec.config.entrypoint, image.spec.config.cmd);
  const cwd = config.workingDir || image.spec.config.workingDir || "/";
  if (!cwd.startsWith("/")) throw new InvalidArgumentError("config.working_dir", `"${cwd}" is not an absolute path`);
  const sc = config.linux?.securityContext;
  const mounts = containerMounts(input);
  const propagation = rootfsPropagationFor(mounts);
  return [
    ["withCgroupsPath", withCgroupsPath(cgroupsPath(input.host.cgroupDriver, input.cgroupParent, input.id))],
    ["withArgs", withArgs(args)],
    ["withEnv", withEnv(containerEnv(input))],
    ["withDefaultPathEnv", withDefaultPathEnv],
    ["withCwd", withCwd(cwd)],
    ["withTerminal", withTerminal(config.tty)],
    ["withUser", withUser(containerUser(sc, image.spec.config.user, input.user))],
    ["withMounts", withMounts(mounts)],
    ...(propagation ? [["withRootfsPropagation", withRootfsPropagation(propagation)] as const] : []),
    ["withRootReadonly", withRootReadonly(sc?.readonlyRootfs ?? false)],
    // The container joins the pod's UTS namespace (or the host's), whose hostname the
    // sandbox set; runc refuses a hostname for a joined namespace, so none is written.
    ["withoutHostname", withoutHostname],
    ...namespaceOpts(input),
    ...securityOpts(input),
    ...deviceOpts(input),
    ...confinementOpts(input),
    ...resourceOpts(input),
    ...annotationOpts(input),
  ];
}
