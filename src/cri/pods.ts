/**
 * What the CRI handlers need of pods and containers, whatever the OS: the Linux managers
 * (src/sandbox, src/container) and the Windows ones (src/runtime/windows) both provide
 * it, so one set of handlers serves both.
 */
import type { ContainerConfig, LinuxContainerResources, PodSandboxConfig, WindowsContainerResources } from "../gen/runtime/v1/api_pb.ts";
import type { ContainerUsage } from "../container/container-usage.ts";
import type { ExecResult } from "../runtime/linux/oci-runtime.ts";
import type { PodEvents } from "../sandbox/pod-events.ts";
import type { PodUsage } from "../sandbox/pod-usage.ts";
import type { ContainerRecord, SandboxRecord } from "../store/index.ts";

export interface SandboxService {
  /** RunPodSandbox: the new sandbox's id. */
  run(config: PodSandboxConfig | undefined, runtimeHandler: string): Promise<string>;
  /** StopPodSandbox; idempotent. */
  stop(id: string): Promise<void>;
  /** RemovePodSandbox; idempotent. */
  remove(id: string): Promise<void>;
  /** The sandbox for an id or unique prefix. @throws NotFoundError */
  get(idOrPrefix: string, field?: string): SandboxRecord;
  list(): SandboxRecord[];
  /** Where the sandbox's runtime spec (`config.json`) is kept. */
  paths(id: string): { bundle: string };
  usage(rec: SandboxRecord): PodUsage | Promise<PodUsage>;
  updateResources(idOrPrefix: string, overhead: LinuxContainerResources | undefined, resources: LinuxContainerResources | undefined): Promise<void>;
}

export interface ContainerService {
  create(podSandboxId: string, config: ContainerConfig | undefined): Promise<string>;
  start(idOrPrefix: string): Promise<void>;
  stop(idOrPrefix: string, timeoutSec: number): Promise<void>;
  remove(idOrPrefix: string): Promise<void>;
  /** @throws NotFoundError */
  get(idOrPrefix: string, field?: string): Promise<ContainerRecord>;
  list(filter?: { sandboxId?: string }): Promise<ContainerRecord[]>;
  execSync(idOrPrefix: string, cmd: string[], timeoutSec: number): Promise<ExecResult>;
  /** UpdateContainerResources: each OS reads its own part of the request. */
  updateResources(idOrPrefix: string, linux: LinuxContainerResources | undefined, windows?: WindowsContainerResources): Promise<void>;
  reopenLog(idOrPrefix: string): Promise<void>;
  usage(rec: ContainerRecord): Promise<ContainerUsage & { fsMountpoint: string }>;
  /** Where the container's runtime spec (`config.json`) is kept. */
  paths(id: string): { bundle: string };
}

/** Pods and containers, where the OS has them built. */
export type Pods = { sandboxes: SandboxService; containers: ContainerService; events: PodEvents };
