import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ListPodSandboxRequest,
  ListPodSandboxResponseSchema,
  PodSandboxFilter,
  StreamPodSandboxesRequest,
  StreamPodSandboxesResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import { sandboxConfigView } from "../sandbox/sandbox-record.ts";
import type { SandboxRecord } from "../store/index.ts";
import type { Pods } from "./context.ts";
import { STREAM_BATCH } from "./image-list.ts";
import { criSandboxState, matchesLabels, toCriSandbox } from "./pod-convert.ts";

/** The sandboxes a filter selects: id prefix, state, equality label selector. */
function selected(pods: Pods, filter: PodSandboxFilter | undefined): SandboxRecord[] {
  return pods.sandboxes.list().filter((s) => {
    if (filter?.id && !s.id.startsWith(filter.id)) return false;
    if (filter?.state && criSandboxState(s) !== filter.state.state) return false;
    return matchesLabels(() => sandboxConfigView(s).labels, filter?.labelSelector);
  });
}

export function createListPodSandbox(pods: Pods) {
  return async (req: ListPodSandboxRequest): Promise<MessageInitShape<typeof ListPodSandboxResponseSchema>> => ({
    items: selected(pods, req.filter).map(toCriSandbox),
  });
}

/** StreamPodSandboxes: the same result as ListPodSandbox, in batches. */
export function createStreamPodSandboxes(pods: Pods) {
  return async function* (req: StreamPodSandboxesRequest): AsyncIterable<MessageInitShape<typeof StreamPodSandboxesResponseSchema>> {
    const all = selected(pods, req.filter).map(toCriSandbox);
    for (let i = 0; i < all.length; i += STREAM_BATCH) yield { podSandboxes: all.slice(i, i + STREAM_BATCH) };
  };
}
