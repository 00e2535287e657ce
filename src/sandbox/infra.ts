/**
 * What runs as a pod's infra process: the configured sandbox image's entrypoint, or,
 * with none configured, the host's static `catatonit -P` bind-mounted into an empty
 * read-only rootfs, so a pod starts without pulling anything.
 */
import type { RuntimeHandlerConfig } from "../config/schema.ts";
import type { PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { NamespaceMode } from "../wire/gen/runtime-v1.ts";
import type { ImageConfig } from "../image/manifest.ts";
import type { Mount } from "../oci/spec.ts";

/**
 * Whether a pod gets an infra process. Its network, UTS and IPC namespaces are pinned
 * files that need no process, so only a PID namespace shared by the pod's containers
 * (`pid: POD`, the kubelet's `shareProcessNamespace`; also the CRI default when no
 * namespace options are sent) needs one: a PID namespace dies with its first process and
 * needs a PID 1 to reap orphans. Handlers with `sandbox_process = "always"` (VM runtimes)
 * get one for every pod.
 */
export function needsInfraProcess(config: PodSandboxConfig, handler: Pick<RuntimeHandlerConfig, "sandboxProcess">): boolean {
  if (handler.sandboxProcess === "always") return true;
  return (config.linux?.securityContext?.namespaceOptions?.pid ?? NamespaceMode.POD) === NamespaceMode.POD;
}

/** Where the host's infra binary appears inside the empty rootfs. */
export const INFRA_BINARY_PATH = "/catatonit";

export type InfraProcess = {
  args: string[];
  env: string[];
  cwd: string;
  /** Extra mounts for the infra spec. */
  mounts: Mount[];
  /** Base spec mounts the infra process has no use for; each one costs the runtime time. */
  unneededMounts: string[];
};

/**
 * catatonit reads no files and talks to no devices: of the base spec's mounts it needs
 * none but /proc and /dev. Leaving out sysfs, the cgroup fs, mqueue and devpts takes
 * about 5 ms off each pod start (measured with runc 1.1.5) and exposes less.
 */
const UNNEEDED_BY_CATATONIT = ["/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/pts"];

/** The built-in infra: catatonit in pause mode (`-P`), which waits for a signal and exits. */
export function hostInfra(infraPath: string): InfraProcess {
  return {
    args: [INFRA_BINARY_PATH, "-P"],
    env: [],
    cwd: "/",
    mounts: [{ destination: INFRA_BINARY_PATH, type: "bind", source: infraPath, options: ["bind", "ro", "nosuid", "nodev"] }],
    unneededMounts: UNNEEDED_BY_CATATONIT,
  };
}

/** The infra process of a sandbox image: its Entrypoint + Cmd, env and working dir. */
export function imageInfra(image: ImageConfig): InfraProcess {
  const c = image.config;
  return {
    args: [...(c.entrypoint ?? []), ...(c.cmd ?? [])],
    env: [...(c.env ?? [])],
    cwd: c.workingDir || "/",
    mounts: [],
    // An image's pause process is not ours to second-guess: it keeps the base mounts.
    unneededMounts: [],
  };
}
