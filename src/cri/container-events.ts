import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { type ContainerEventResponseSchema, type GetEventsRequest } from "../gen/runtime/v1/api_pb.ts";
import { ContainerEventType } from "../wire/gen/runtime-v1.ts";
import type { PodEvent, PodEventType } from "../sandbox/pod-events.ts";
import type { Pods } from "./context.ts";
import { containerStatusOf } from "./container-status.ts";
import { toCriSandboxStatus } from "./pod-convert.ts";

const EVENT_TYPE: Record<PodEventType, ContainerEventType> = {
  created: ContainerEventType.CONTAINER_CREATED_EVENT,
  started: ContainerEventType.CONTAINER_STARTED_EVENT,
  stopped: ContainerEventType.CONTAINER_STOPPED_EVENT,
  deleted: ContainerEventType.CONTAINER_DELETED_EVENT,
};

/** One event with the pod's status and its containers' statuses as they are when it is sent. */
async function toResponse(pods: Pods, e: PodEvent): Promise<MessageInitShape<typeof ContainerEventResponseSchema>> {
  let podStatus;
  try {
    podStatus = toCriSandboxStatus(pods.sandboxes.get(e.sandboxId));
  } catch {
    podStatus = undefined; // the pod is gone: a deleted event of it or of its last container
  }
  const containers = podStatus ? await pods.containers.list({ sandboxId: e.sandboxId }) : [];
  return {
    containerId: e.id,
    containerEventType: EVENT_TYPE[e.type],
    createdAt: e.at,
    podSandboxStatus: podStatus,
    containersStatuses: containers.map(containerStatusOf),
  };
}

/**
 * GetContainerEvents: pod and container lifecycle events from the moment the stream
 * opens until the client goes away (the kubelet's evented PLEG keeps one open). Sandbox
 * events carry the sandbox's id as `container_id`, as containerd's do.
 */
export function createGetContainerEvents(pods: Pods) {
  return async function* (_req: GetEventsRequest, ctx: HandlerContext): AsyncIterable<MessageInitShape<typeof ContainerEventResponseSchema>> {
    const sub = pods.events.subscribe();
    try {
      for (;;) {
        const e = await sub.next(ctx.signal);
        if (!e) return;
        yield await toResponse(pods, e);
      }
    } finally {
      sub.close();
    }
  };
}
