/** Builders for spec-generation inputs, in the `withX` style of containerd's integration tests. */
import { create } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ContainerConfigSchema, PodSandboxConfigSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import type { ContainerConfig, PodSandboxConfig } from "../../../src/gen/runtime/v1/api_pb.ts";
import type { ImageConfig } from "../../../src/image/manifest.ts";
import type { ContainerSpecInput } from "../../../src/oci/container.ts";
import type { SandboxSpecInput } from "../../../src/oci/sandbox.ts";

export type ContainerInit = Exclude<MessageInitShape<typeof ContainerConfigSchema>, ContainerConfig>;
export type SandboxInit = Exclude<MessageInitShape<typeof PodSandboxConfigSchema>, PodSandboxConfig>;

export function imageConfig(config: Partial<ImageConfig["config"]> = {}): ImageConfig {
  return {
    os: "linux",
    architecture: "amd64",
    config: { env: [], volumes: [], exposedPorts: [], labels: {}, ...config },
    rootfs: { type: "layers", diffIds: [] },
    history: [],
  };
}

export function sandboxConfig(init: SandboxInit = {}) {
  return create(PodSandboxConfigSchema, {
    metadata: { name: "web", namespace: "shop", uid: "uid-1", attempt: 0 },
    hostname: "web-host",
    logDirectory: "/var/log/pods/shop_web_uid-1",
    ...init,
  });
}

export function containerInput(
  init: ContainerInit = {},
  over: Partial<Omit<ContainerSpecInput, "config">> = {},
): ContainerSpecInput {
  return {
    id: "c1",
    sandboxId: "s1",
    config: create(ContainerConfigSchema, { metadata: { name: "app" }, image: { image: "busybox" }, ...init }),
    sandboxConfig: sandboxConfig(),
    image: { name: "docker.io/library/busybox:latest", spec: imageConfig({ cmd: ["sh"] }) },
    handler: { podAnnotations: [], containerAnnotations: [], privilegedWithoutHostDevices: false },
    host: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: true, ownOomScoreAdj: 0 },
    hostname: "web-host",
    sandboxPaths: {
      hostname: "/run/skiff/s1/hostname",
      hosts: "/run/skiff/s1/hosts",
      resolvConf: "/run/skiff/s1/resolv.conf",
      shm: "/run/skiff/s1/shm",
    },
    namespacePaths: { net: "/run/skiff/ns/net/s1", ipc: "/run/skiff/ns/ipc/s1", uts: "/run/skiff/ns/uts/s1", pid: "/proc/42/ns/pid" },
    cgroupParent: "/kubepods/pod-uid-1",
    ...over,
  };
}

export function sandboxInput(init: SandboxInit = {}, over: Partial<Omit<SandboxSpecInput, "config">> = {}): SandboxSpecInput {
  return {
    id: "s1",
    config: sandboxConfig(init),
    args: ["/pause"],
    handler: { podAnnotations: [] },
    host: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: true, ownOomScoreAdj: 0 },
    namespacePaths: { net: "/run/skiff/ns/net/s1" },
    shm: "/run/skiff/s1/shm",
    resolvConf: "/run/skiff/s1/resolv.conf",
    ...over,
  };
}
