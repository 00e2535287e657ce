/**
 * Every metric ListPodSandboxMetrics reports, in one table: name, help, type, label keys,
 * and which reading each value comes from. Names, label keys and units are cAdvisor's,
 * as the kubelet's /metrics/cadvisor serves them, so dashboards and alerts written for
 * that endpoint keep working when the kubelet takes these from the CRI
 * (`PodAndContainerStatsFromCRI`): it calls ListMetricDescriptors once when it starts and
 * turns each descriptor into a Prometheus one with `label_keys` as its variable labels.
 *
 * The readings are the ones the stats RPCs use (cgroup-stats.ts, container-usage.ts,
 * pod-usage.ts); nothing is read twice or anew here. CRI values are whole numbers
 * (UInt64Value), so the `_seconds_total` counters are whole seconds.
 *
 * https://github.com/kubernetes/enhancements/tree/master/keps/sig-node/2371-cri-pod-container-stats
 */
import type { CgroupStats } from "../container/cgroup-stats.ts";
import type { Layer } from "../container/container-usage.ts";
import { MetricType } from "../wire/gen/runtime-v1.ts";
import type { InterfaceUsage } from "../sandbox/pod-usage.ts";

/**
 * The labels every series has, as cAdvisor names them. A pod's own series (its totals
 * and its network) have `container=""`, as cAdvisor's pod-cgroup series do; `id` and
 * `name` are the pod's or the container's CRI id; `image` the image the container was
 * created from ("" for a pod).
 */
export const BASE_LABELS = ["container", "id", "image", "name", "namespace", "pod"] as const;

/** What one series is read from: a pod (its totals, its interfaces) or one running container. */
export type MetricReading = {
  cgroup?: CgroupStats;
  /** A container's writable layer. */
  layer?: Layer;
  /** A pod's network interfaces (none for a host-network pod). */
  interfaces?: InterfaceUsage[];
  /** When the container started, ns since the epoch. */
  startedAt?: bigint;
};

/** One value of a metric: the values of its extra label keys, then the number. */
export type MetricValue = [extraLabels: string[], value: bigint];

export type MetricDef = {
  name: string;
  help: string;
  type: MetricType;
  /** Label keys after BASE_LABELS. */
  extraLabels: string[];
  /** Which series have it: a pod's own, a container's, or both. */
  scope: "pod" | "container" | "both";
  values: (r: MetricReading) => MetricValue[];
};

const one = (v: bigint | number | undefined): MetricValue[] => (v === undefined ? [] : [[[], BigInt(v)]]);
const NS_PER_S = 1_000_000_000n;

/** A network counter per interface, labelled `interface`. */
function perInterface(name: string, help: string, pick: (i: InterfaceUsage) => bigint): MetricDef {
  return {
    name,
    help,
    type: MetricType.COUNTER,
    extraLabels: ["interface"],
    scope: "pod",
    values: (r) => (r.interfaces ?? []).map((i) => [[i.name], pick(i)]),
  };
}

export const POD_METRICS: readonly MetricDef[] = [
  {
    name: "container_cpu_usage_seconds_total",
    help: "Cumulative cpu time consumed in seconds.",
    type: MetricType.COUNTER,
    // cAdvisor labels the all-CPU total `cpu="total"` when per-CPU figures are off, as the kubelet has them.
    extraLabels: ["cpu"],
    scope: "both",
    values: (r) => (r.cgroup?.cpuNs === undefined ? [] : [[["total"], r.cgroup.cpuNs / NS_PER_S]]),
  },
  {
    name: "container_memory_usage_bytes",
    help: "Current memory usage in bytes, including all memory regardless of when it was accessed",
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: "both",
    values: (r) => one(r.cgroup?.memory?.usage),
  },
  {
    name: "container_memory_working_set_bytes",
    help: "Current working set in bytes.",
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: "both",
    values: (r) => one(r.cgroup?.memory?.workingSet),
  },
  {
    name: "container_memory_rss",
    help: "Size of RSS in bytes.",
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: "both",
    values: (r) => one(r.cgroup?.memory?.rss),
  },
  {
    name: "container_memory_failures_total",
    help: "Cumulative count of memory allocation failures.",
    type: MetricType.COUNTER,
    extraLabels: ["failure_type", "scope"],
    scope: "both",
    // The figures are hierarchical (v1 total_pg*, v2 memory.stat). A container's cgroup
    // has no children, so for it "container" and "hierarchy" are the same count.
    values: (r) => {
      const m = r.cgroup?.memory;
      const out: MetricValue[] = [];
      for (const [type, v] of [["pgfault", m?.pageFaults], ["pgmajfault", m?.majorPageFaults]] as const) {
        if (v !== undefined) for (const scope of ["container", "hierarchy"]) out.push([[type, scope], v]);
      }
      return out;
    },
  },
  {
    name: "container_spec_memory_limit_bytes",
    help: "Memory limit for the container.",
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: "container",
    // cAdvisor reports 0 for "no limit".
    values: (r) => (r.cgroup?.memory === undefined ? [] : one(r.cgroup.memory.limit ?? 0n)),
  },
  {
    name: "container_processes",
    help: "Number of processes running inside the container.",
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: "both",
    values: (r) => one(r.cgroup?.processes),
  },
  {
    name: "container_fs_usage_bytes",
    help: "Number of bytes that are consumed by the container on this filesystem.",
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: "container",
    values: (r) => one(r.layer?.bytes),
  },
  {
    name: "container_start_time_seconds",
    help: "Start time of the container since unix epoch in seconds.",
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: "container",
    values: (r) => (r.startedAt ? one(r.startedAt / NS_PER_S) : []),
  },
  perInterface("container_network_receive_bytes_total", "Cumulative count of bytes received", (i) => i.rxBytes),
  perInterface("container_network_receive_packets_total", "Cumulative count of packets received", (i) => i.rxPackets),
  perInterface("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", (i) => i.rxDropped),
  perInterface("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", (i) => i.rxErrors),
  perInterface("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", (i) => i.txBytes),
  perInterface("container_network_transmit_packets_total", "Cumulative count of packets transmitted", (i) => i.txPackets),
  perInterface("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", (i) => i.txDropped),
  perInterface("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", (i) => i.txErrors),
];
