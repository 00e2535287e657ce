/**
 * The specs of Windows containers and pod sandboxes (what containerd's CRI builds on
 * Windows, seed container_create_windows.go), as named options over the handler's base
 * spec (`defaultWindowsSpec()` unless `base_runtime_spec` gives one). Pure: the HNS
 * namespace, the mounts' host paths and the image config are resolved by the caller.
 */
import type { ContainerConfig, PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import type { RuntimeHandlerConfig } from "../config/schema.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { ImageConfig } from "../image/manifest.ts";
import { ANNOTATION, CONTAINER_TYPE_CONTAINER, CONTAINER_TYPE_SANDBOX, passthroughAnnotations } from "./annotations.ts";
import { OCI_VERSION } from "./base-spec.ts";
import { withAnnotations } from "./opts/annotations.ts";
import { withArgs, withCwd, withEnv, withHostname, withTerminal } from "./opts/process.ts";
import {
  WINDOWS_SANDBOX_CPU_SHARES,
  windowsDevices,
  windowsMount,
  withUsername,
  withWindowsCpuShares,
  withWindowsCredentialSpec,
  withWindowsDevices,
  withWindowsMounts,
  withWindowsNetworkNamespace,
  withWindowsResources,
  withoutRoot,
} from "./opts/windows.ts";
import { processOf, type Spec } from "./spec.ts";
import type { NamedOpt, SpecOpt } from "./spec-opts.ts";
import { windowsProcessArgs } from "./windows-command-line.ts";

/** The whole command line instead of args (an image whose Entrypoint/Cmd is already escaped). */
const withCommandLine =
  (commandLine: string): SpecOpt =>
  (s) => {
    const p = processOf(s);
    delete p.args;
    p.commandLine = commandLine;
  };

/** The built-in Windows base spec, as containerd's default: an empty root, `C:\` as cwd, a `windows` section. */
export function defaultWindowsSpec(): Spec {
  return { ociVersion: OCI_VERSION, root: { path: "" }, process: { user: { uid: 0, gid: 0 }, cwd: "C:\\" }, windows: {} };
}

export type WindowsContainerSpecInput = {
  sandboxId: string;
  config: ContainerConfig;
  sandboxConfig: PodSandboxConfig;
  /** `name` is what the kubelet asked for; it goes into the image-name annotation. */
  image: { name: string; spec: ImageConfig };
  handler: Pick<RuntimeHandlerConfig, "podAnnotations" | "containerAnnotations">;
  /** The pod's HNS namespace ("" for a host-network pod). */
  networkNamespace: string;
};

/** HostProcess is a pod-wide choice: every container must say what the pod says (seed: containerd refuses otherwise). */
export function checkHostProcess(config: ContainerConfig, sandboxConfig: PodSandboxConfig): boolean {
  const container = config.windows?.securityContext?.hostProcess ?? false;
  const pod = sandboxConfig.windows?.securityContext?.hostProcess ?? false;
  if (container !== pod) {
    throw new InvalidArgumentError(
      "config.windows.security_context.host_process",
      `is ${container} but the pod's is ${pod}: the pod spec and all containers inside must have the HostProcess field set to be valid`,
    );
  }
  return pod;
}

/** Passthrough annotations (pod, then container) under the CRI ones, which are written last. */
function annotationOpts(passthrough: Record<string, string>, cri: Record<string, string>): NamedOpt[] {
  return [
    ["withPassthroughAnnotations", withAnnotations(passthrough)],
    ["withCriAnnotations", withAnnotations(cri)],
  ];
}

/** The options that turn the base spec into the spec of Windows container `input.id`. */
export function windowsContainerSpecOpts(input: WindowsContainerSpecInput): NamedOpt[] {
  const { config, sandboxConfig, image } = input;
  if (!config.metadata?.name) throw new InvalidArgumentError("config.metadata.name", "is empty");
  const hostProcess = checkHostProcess(config, sandboxConfig);
  const command = windowsProcessArgs(config, image.spec);
  const cwd = config.workingDir || image.spec.config.workingDir;
  const env = [...image.spec.config.env, ...config.envs.map((kv, i) => {
    if (kv.key === "") throw new InvalidArgumentError(`config.envs[${i}].key`, "is empty");
    return `${kv.key}=${new TextDecoder().decode(kv.value)}`;
  })];
  const sc = config.windows?.securityContext;
  const username = sc?.runAsUsername || image.spec.config.user || "";
  const mounts = config.mounts.map((m, i) => windowsMount(m, `config.mounts[${i}]`));
  const devices = windowsDevices(config.devices);
  const resources = config.windows?.resources;
  const pod = sandboxConfig.metadata;
  return [
    "commandLine" in command ? ["withCommandLine", withCommandLine(command.commandLine)] : ["withArgs", withArgs(command.args)],
    ...(cwd ? [["withCwd", withCwd(cwd)] as const] : []),
    ...(config.tty ? [["withTerminal", withTerminal(true)] as const] : []),
    ["withEnv", withEnv(env)],
    ["withoutRoot", withoutRoot],
    ["withWindowsNetworkNamespace", withWindowsNetworkNamespace(input.networkNamespace)],
    ["withHostname", withHostname(sandboxConfig.hostname)],
    ["withWindowsMounts", withWindowsMounts(mounts)],
    ...(devices.length > 0 ? [["withWindowsDevices", withWindowsDevices(devices)] as const] : []),
    ...(resources ? [["withWindowsResources", withWindowsResources(resources, "config.windows.resources")] as const] : []),
    ...(sc?.credentialSpec ? [["withWindowsCredentialSpec", withWindowsCredentialSpec(sc.credentialSpec)] as const] : []),
    ["withUsername", withUsername(username)],
    ...annotationOpts(
      {
        ...passthroughAnnotations(sandboxConfig.annotations, input.handler.podAnnotations),
        ...passthroughAnnotations(config.annotations, input.handler.containerAnnotations),
      },
      {
        [ANNOTATION.containerType]: CONTAINER_TYPE_CONTAINER,
        [ANNOTATION.sandboxId]: input.sandboxId,
        [ANNOTATION.sandboxNamespace]: pod?.namespace ?? "",
        [ANNOTATION.sandboxName]: pod?.name ?? "",
        [ANNOTATION.containerName]: config.metadata.name,
        [ANNOTATION.imageName]: image.name,
        [ANNOTATION.windowsHostProcess]: String(hostProcess),
      },
    ),
  ];
}

export type WindowsSandboxSpecInput = {
  id: string;
  config: PodSandboxConfig;
  /** The sandbox (pause) image: its name and config. */
  image: { name: string; spec: ImageConfig };
  handler: Pick<RuntimeHandlerConfig, "podAnnotations">;
  networkNamespace: string;
};

/** The options that turn the base spec into the spec of the pod sandbox (pause) container `input.id`. */
export function windowsSandboxSpecOpts(input: WindowsSandboxSpecInput): NamedOpt[] {
  const { config, image } = input;
  if (!config.metadata?.name) throw new InvalidArgumentError("config.metadata.name", "is empty");
  const { entrypoint = [], cmd = [], env, workingDir, user } = image.spec.config;
  if (entrypoint.length + cmd.length === 0) {
    throw new InvalidArgumentError("image.sandbox_image", `"${image.name}" has no Entrypoint or Cmd to run as the pod's sandbox`);
  }
  const sc = config.windows?.securityContext;
  return [
    ["withEnv", withEnv(env)],
    ["withHostname", withHostname(config.hostname)],
    ...(workingDir ? [["withCwd", withCwd(workingDir)] as const] : []),
    ["withArgs", withArgs([...entrypoint, ...cmd])],
    ["withoutRoot", withoutRoot],
    ["withWindowsNetworkNamespace", withWindowsNetworkNamespace(input.networkNamespace)],
    ["withWindowsCpuShares", withWindowsCpuShares(WINDOWS_SANDBOX_CPU_SHARES)],
    ...(sc?.credentialSpec ? [["withWindowsCredentialSpec", withWindowsCredentialSpec(sc.credentialSpec)] as const] : []),
    ["withUsername", withUsername(sc?.runAsUsername || user || "")],
    ...annotationOpts(passthroughAnnotations(config.annotations, input.handler.podAnnotations), {
      [ANNOTATION.windowsHostProcess]: String(sc?.hostProcess ?? false),
      [ANNOTATION.containerType]: CONTAINER_TYPE_SANDBOX,
      [ANNOTATION.sandboxId]: input.id,
      [ANNOTATION.sandboxNamespace]: config.metadata.namespace,
      [ANNOTATION.sandboxUid]: config.metadata.uid,
      [ANNOTATION.sandboxName]: config.metadata.name,
      [ANNOTATION.sandboxLogDirectory]: config.logDirectory,
      [ANNOTATION.sandboxImageName]: image.name,
    }),
  ];
}

/** Snapshot label keys of the scratch size (containerd's Windows snapshotter; `size-gb` is deprecated). */
export const ROOTFS_SIZE_BYTES_LABEL = "containerd.io/snapshot/windows/rootfs.sizebytes";
export const ROOTFS_SIZE_GB_LABEL = "containerd.io/snapshot/io.microsoft.container.storage.rootfs.size-gb";

/**
 * The labels of a container's scratch snapshot: `rootfs_size_in_bytes` as the sizebytes
 * label. A CRI client can still give either label as a container annotation (crictl can;
 * the kubelet cannot, since such keys fail its annotation validation); the CRI field wins.
 */
export function windowsSnapshotLabels(config: ContainerConfig): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of [ROOTFS_SIZE_GB_LABEL, ROOTFS_SIZE_BYTES_LABEL]) {
    const v = config.annotations[key];
    if (v !== undefined) labels[key] = v;
  }
  const size = config.windows?.resources?.rootfsSizeInBytes ?? 0n;
  if (size < 0n) throw new InvalidArgumentError("config.windows.resources.rootfs_size_in_bytes", `${size} is negative`);
  if (size !== 0n) labels[ROOTFS_SIZE_BYTES_LABEL] = size.toString(10);
  return labels;
}

/** The scratch size the labels ask for, in bytes (0: the default size): sizebytes first, else size-gb × 2^30. */
export function requestedScratchBytes(labels: Readonly<Record<string, string>>): number {
  const parse = (key: string, v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`label ${key}`, `"${v}" is not a whole number`);
    return Number(v);
  };
  const bytes = labels[ROOTFS_SIZE_BYTES_LABEL];
  if (bytes !== undefined) return parse(ROOTFS_SIZE_BYTES_LABEL, bytes);
  const gb = labels[ROOTFS_SIZE_GB_LABEL];
  return gb === undefined ? 0 : parse(ROOTFS_SIZE_GB_LABEL, gb) * 1024 ** 3;
}
