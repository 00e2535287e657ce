/**
 * Store records as CRI messages: PodSandbox, PodSandboxStatus, Container,
 * ContainerStatus. Pure; the handlers fetch the records.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type ContainerSchema, type ContainerStatusSchema, type PodSandboxSchema, type PodSandboxStatusSchema } from "../gen/runtime/v1/api_pb.ts";
import { ContainerState, PodSandboxState } from "../wire/gen/runtime-v1.ts";
import type { PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { containerConfigView } from "../container/container-record.ts";
import { sandboxConfigView } from "../sandbox/sandbox-record.ts";
import type { ContainerRecord, SandboxRecord } from "../store/index.ts";

const SANDBOX_STATE = { ready: PodSandboxState.SANDBOX_READY } as const;

export function criSandboxState(rec: SandboxRecord): PodSandboxState {
  return rec.state === "ready" ? SANDBOX_STATE.ready : PodSandboxState.SANDBOX_NOTREADY;
}

export function criContainerState(rec: ContainerRecord): ContainerState {
  switch (rec.state) {
    case "created":
      return ContainerState.CONTAINER_CREATED;
    case "running":
      return ContainerState.CONTAINER_RUNNING;
    case "exited":
      return ContainerState.CONTAINER_EXITED;
    default:
      return ContainerState.CONTAINER_UNKNOWN;
  }
}

/** The handler the pod asked for: "" when it took the default. */
function requestedHandler(rec: SandboxRecord): string {
  const asked = (rec.info as { requestedHandler?: unknown }).requestedHandler;
  return typeof asked === "string" ? asked : rec.runtimeHandler;
}

/** The fields PodSandbox and PodSandboxStatus share. */
function sandboxFields(rec: SandboxRecord, config: PodSandboxConfig) {
  return {
    id: rec.id,
    metadata: config.metadata,
    state: criSandboxState(rec),
    createdAt: rec.createdAt,
    labels: config.labels,
    annotations: config.annotations,
    runtimeHandler: requestedHandler(rec),
  };
}

export function toCriSandbox(rec: SandboxRecord): MessageInitShape<typeof PodSandboxSchema> {
  return sandboxFields(rec, sandboxConfigView(rec));
}

/** PodSandboxStatus: every PodSandbox field, plus the pod's IPs and namespace options. */
export function toCriSandboxStatus(rec: SandboxRecord): MessageInitShape<typeof PodSandboxStatusSchema> {
  const config = sandboxConfigView(rec);
  const [ip = "", ...more] = rec.ips;
  return {
    ...sandboxFields(rec, config),
    network: { ip, additionalIps: more.map((m) => ({ ip: m })) },
    linux: { namespaces: { options: config.linux?.securityContext?.namespaceOptions } },
  };
}

export function toCriContainer(rec: ContainerRecord): MessageInitShape<typeof ContainerSchema> {
  const config = containerConfigView(rec);
  return {
    id: rec.id,
    podSandboxId: rec.sandboxId,
    metadata: config.metadata,
    image: config.image,
    imageRef: rec.imageRef,
    imageId: rec.imageId,
    state: criContainerState(rec),
    createdAt: rec.createdAt,
    labels: config.labels,
    annotations: config.annotations,
  };
}

export function toCriContainerStatus(rec: ContainerRecord, user?: { uid: number; gid: number; additionalGids?: number[] }): MessageInitShape<typeof ContainerStatusSchema> {
  const config = containerConfigView(rec);
  return {
    id: rec.id,
    metadata: config.metadata,
    state: criContainerState(rec),
    createdAt: rec.createdAt,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    exitCode: rec.exitCode,
    image: config.image,
    imageRef: rec.imageRef,
    imageId: rec.imageId,
    reason: rec.reason,
    message: rec.message,
    labels: config.labels,
    annotations: config.annotations,
    mounts: config.mounts,
    logPath: rec.logPath,
    resources: config.linux?.resources
      ? { linux: config.linux.resources }
      : config.windows?.resources
        ? { windows: config.windows.resources }
        : undefined,
    user: user
      ? { linux: { uid: BigInt(user.uid), gid: BigInt(user.gid), supplementalGroups: (user.additionalGids ?? []).map(BigInt) } }
      : undefined,
    stopSignal: config.stopSignal,
  };
}

/**
 * Whether the labels have every key=value of `selector` (CRI label selectors are
 * equality only). `labels` is called only when there is a selector: the kubelet lists
 * every second, usually without one, and reading labels means decoding the stored config.
 */
export function matchesLabels(labels: () => Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return true;
  const have = labels();
  return Object.entries(selector).every(([k, v]) => have[k] === v);
}
