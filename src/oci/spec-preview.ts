/**
 * The spec skiff would generate for a pod or container, without running anything: what
 * `skiff spec` prints. The CRI messages and the image config are real; what exists only
 * while a pod runs (ids, pinned namespaces, the pod's files, the infra pid) is replaced
 * by the fixed placeholders below, so the output is stable and the placeholders are easy
 * to spot. The options are the same `sandboxSpecOpts`/`containerSpecOpts` the CRI
 * handlers use, so the preview cannot drift from what a real pod gets.
 */
import type { ContainerConfig, PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import type { RuntimeHandlerConfig } from "../config/schema.ts";
import type { ImageConfig } from "../image/manifest.ts";
import { explainSpec } from "./build.ts";
import { containerSpecOpts } from "./container.ts";
import type { ContainerSpecInput } from "./container.ts";
import type { SpecHostFacts } from "./host.ts";
import { sandboxSpecOpts } from "./sandbox.ts";
import type { Spec } from "./spec.ts";
import type { Explanation } from "./spec-opts.ts";

/** The placeholder ids; paths derived from them show where run-time values go. */
export const PREVIEW_SANDBOX_ID = "SANDBOX_ID";
export const PREVIEW_CONTAINER_ID = "CONTAINER_ID";

/** The infra process when no sandbox image is given: the host's catatonit in pause mode. */
export const PREVIEW_INFRA_ARGS: readonly string[] = ["/catatonit", "-P"];

export type SpecPreviewRequest = {
  pod: PodSandboxConfig;
  /** Without a container, the sandbox's own spec is previewed. */
  container?: ContainerConfig;
  /** The container's image config; for a sandbox, the sandbox image's (else catatonit). */
  image?: ImageConfig;
  base: Spec;
  handler: Pick<RuntimeHandlerConfig, "podAnnotations" | "containerAnnotations" | "privilegedWithoutHostDevices">;
  host: SpecHostFacts;
  /** skiff's root and state dirs (config `paths`), under which the pod's files live. */
  dirs: { root: string; state: string };
  /** Passed through as `ContainerSpecInput` fields (Localhost seccomp texts, device stats). */
  seccompLocalhost?: ContainerSpecInput["seccompLocalhost"];
  deviceInfo?: ContainerSpecInput["deviceInfo"];
};

/** An image config with nothing in it, for a container previewed without `--image-config`. */
export function emptyImageConfig(): ImageConfig {
  return {
    os: "linux",
    architecture: "amd64",
    config: { env: [], volumes: [], exposedPorts: [], labels: {} },
    rootfs: { type: "layers", diffIds: [] },
    history: [],
  };
}

/** The run-time paths of the placeholder sandbox, laid out as the sandbox code lays them out. */
export function previewPaths(dirs: { root: string; state: string }) {
  const id = PREVIEW_SANDBOX_ID;
  const pod = `${dirs.root}/sandboxes/${id}`;
  const ns = (kind: string) => `${dirs.state}/ns/${kind}/${id}`;
  return {
    sandbox: { hostname: `${pod}/hostname`, hosts: `${pod}/hosts`, resolvConf: `${pod}/resolv.conf`, shm: `${dirs.state}/sandboxes/${id}/shm` },
    namespaces: { net: ns("net"), ipc: ns("ipc"), uts: ns("uts"), pid: "/proc/INFRA_PID/ns/pid" },
    targetPid: "/proc/TARGET_PID/ns/pid",
    imageVolumesDir: `${dirs.root}/containers/${PREVIEW_CONTAINER_ID}/volumes`,
  };
}

/** The spec for `req`, with the per-option explanation. Throws the same errors a CRI call would. */
export function previewSpec(req: SpecPreviewRequest): { spec: Spec; explain: Explanation[] } {
  const p = previewPaths(req.dirs);
  const { pod } = req;
  if (!req.container) {
    const c = req.image?.config;
    const imageArgs = c ? [...(c.entrypoint ?? []), ...(c.cmd ?? [])] : [];
    const opts = sandboxSpecOpts({
      id: PREVIEW_SANDBOX_ID,
      config: pod,
      args: imageArgs.length > 0 ? imageArgs : [...PREVIEW_INFRA_ARGS],
      env: c?.env,
      cwd: c?.workingDir || undefined,
      handler: req.handler,
      host: req.host,
      namespacePaths: { net: p.namespaces.net },
      shm: p.sandbox.shm,
      resolvConf: p.sandbox.resolvConf,
      seccompLocalhost: req.seccompLocalhost,
    });
    return explainSpec(req.base, opts);
  }
  const image = req.image ?? emptyImageConfig();
  const pid = req.container.linux?.securityContext?.namespaceOptions?.targetId ? p.targetPid : p.namespaces.pid;
  const opts = containerSpecOpts({
    id: PREVIEW_CONTAINER_ID,
    sandboxId: PREVIEW_SANDBOX_ID,
    config: req.container,
    sandboxConfig: pod,
    image: { name: req.container.image?.image ?? "", spec: image },
    handler: req.handler,
    host: req.host,
    hostname: pod.hostname,
    sandboxPaths: p.sandbox,
    namespacePaths: { ...p.namespaces, pid },
    cgroupParent: pod.linux?.cgroupParent ?? "",
    seccompLocalhost: req.seccompLocalhost,
    deviceInfo: req.deviceInfo,
    imageVolumesDir: p.imageVolumesDir,
  });
  return explainSpec(req.base, opts);
}
