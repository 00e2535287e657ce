import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ListMetricDescriptorsResponseSchema,
  ListPodSandboxMetricsResponseSchema,
  MetricSchema,
  PodSandboxMetricsSchema,
  StreamPodSandboxMetricsResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import { containerConfigView } from "../container/container-record.ts";
import { sandboxConfigView } from "../sandbox/sandbox-record.ts";
import type { SandboxRecord } from "../store/index.ts";
import type { Pods } from "./context.ts";
import { STREAM_BATCH } from "./image-list.ts";
import { BASE_LABELS, type MetricReading, POD_METRICS } from "./pod-metric-table.ts";
import { podReadings } from "./sandbox-stats.ts";

type Metric = MessageInitShape<typeof MetricSchema>;

/** ListMetricDescriptors: the table, fixed for the life of the process (api.proto). */
export function createListMetricDescriptors() {
  const descriptors = POD_METRICS.map((m) => ({ name: m.name, help: m.help, labelKeys: [...BASE_LABELS, ...m.extraLabels] }));
  return async (): Promise<MessageInitShape<typeof ListMetricDescriptorsResponseSchema>> => ({ descriptors });
}

/**
 * The series of one pod or container: every metric of its scope, base labels first (in
 * BASE_LABELS' order). Timestamp 0: the values are read for this call, not cached
 * (api.proto), apart from the writable layer's size, which is walked at most every 10 s.
 */
function metricsOf(scope: "pod" | "container", base: Record<(typeof BASE_LABELS)[number], string>, r: MetricReading): Metric[] {
  const labels = BASE_LABELS.map((k) => base[k]);
  const out: Metric[] = [];
  for (const m of POD_METRICS) {
    if (m.scope !== "both" && m.scope !== scope) continue;
    for (const [extra, value] of m.values(r)) {
      out.push({ name: m.name, timestamp: 0n, metricType: m.type, labelValues: [...labels, ...extra], value: { value } });
    }
  }
  return out;
}

/**
 * One pod's metrics: its own series (the sums over its cgroups, its network) and one set
 * per running container (a stopped one has no cgroup left to read, as in cAdvisor).
 */
async function podMetricsOf(pods: Pods, rec: SandboxRecord): Promise<MessageInitShape<typeof PodSandboxMetricsSchema>> {
  const meta = sandboxConfigView(rec).metadata;
  const podLabels = { namespace: meta?.namespace ?? "", pod: meta?.name ?? "" };
  const { pod, containers, total } = await podReadings(pods, rec);
  const containerMetrics = containers
    .filter(({ c }) => c.state === "running")
    .map(({ c, u }) => {
      const config = containerConfigView(c);
      const base = { ...podLabels, container: c.metadata.name, id: c.id, name: c.id, image: config.image?.userSpecifiedImage || config.image?.image || "" };
      return { containerId: c.id, metrics: metricsOf("container", base, { cgroup: u.cgroup, layer: u.layer, startedAt: c.startedAt }) };
    });
  return {
    podSandboxId: rec.id,
    metrics: metricsOf("pod", { ...podLabels, container: "", id: rec.id, name: rec.id, image: "" }, { cgroup: total, interfaces: pod.interfaces }),
    containerMetrics,
  };
}

/** ListPodSandboxMetrics: every pod the CRI lists. */
export function createListPodSandboxMetrics(pods: Pods) {
  return async (): Promise<MessageInitShape<typeof ListPodSandboxMetricsResponseSchema>> => ({
    podMetrics: await Promise.all(pods.sandboxes.list().map((s) => podMetricsOf(pods, s))),
  });
}

/** StreamPodSandboxMetrics: the same result as ListPodSandboxMetrics, in batches. */
export function createStreamPodSandboxMetrics(pods: Pods) {
  return async function* (): AsyncIterable<MessageInitShape<typeof StreamPodSandboxMetricsResponseSchema>> {
    const all = pods.sandboxes.list();
    for (let i = 0; i < all.length; i += STREAM_BATCH) {
      yield { podSandboxMetrics: await Promise.all(all.slice(i, i + STREAM_BATCH).map((s) => podMetricsOf(pods, s))) };
    }
  };
}
