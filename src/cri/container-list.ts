import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ContainerFilter,
  ListContainersRequest,
  ListContainersResponseSchema,
  StreamContainersRequest,
  StreamContainersResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import { containerConfigView } from "../container/container-record.ts";
import type { ContainerRecord } from "../store/index.ts";
import type { Pods } from "./context.ts";
import { STREAM_BATCH } from "./image-list.ts";
import { criContainerState, matchesLabels, toCriContainer } from "./pod-convert.ts";

/** The containers a filter selects: id prefix, sandbox id prefix, state, labels. */
async function selected(pods: Pods, filter: ContainerFilter | undefined): Promise<ContainerRecord[]> {
  const all = await pods.containers.list();
  return all.filter((c) => {
    if (filter?.id && !c.id.startsWith(filter.id)) return false;
    if (filter?.podSandboxId && !c.sandboxId.startsWith(filter.podSandboxId)) return false;
    if (filter?.state && criContainerState(c) !== filter.state.state) return false;
    return matchesLabels(() => containerConfigView(c).labels, filter?.labelSelector);
  });
}

export function createListContainers(pods: Pods) {
  return async (req: ListContainersRequest): Promise<MessageInitShape<typeof ListContainersResponseSchema>> => ({
    containers: (await selected(pods, req.filter)).map(toCriContainer),
  });
}

/** StreamContainers: the same result as ListContainers, in batches. */
export function createStreamContainers(pods: Pods) {
  return async function* (req: StreamContainersRequest): AsyncIterable<MessageInitShape<typeof StreamContainersResponseSchema>> {
    const all = (await selected(pods, req.filter)).map(toCriContainer);
    for (let i = 0; i < all.length; i += STREAM_BATCH) yield { containers: all.slice(i, i + STREAM_BATCH) };
  };
}
