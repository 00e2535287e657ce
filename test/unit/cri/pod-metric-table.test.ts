import { describe, expect, test } from "bun:test";
import { MetricType } from "../../../src/gen/runtime/v1/api_pb.ts";
import { BASE_LABELS, type MetricReading, POD_METRICS } from "../../../src/cri/pod-metric-table.ts";

const byName = (name: string) => {
  const m = POD_METRICS.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  return m;
};

const full: MetricReading = {
  cgroup: { cpuNs: 2_700_000_000n, memory: { usage: 100n, workingSet: 80n, rss: 50n, pageFaults: 7n, majorPageFaults: 1n, limit: 1024n }, processes: 3 },
  layer: { bytes: 4096n, inodes: 2n },
  interfaces: [
    { name: "eth0", rxBytes: 10n, rxPackets: 2n, rxErrors: 0n, rxDropped: 1n, txBytes: 20n, txPackets: 3n, txErrors: 0n, txDropped: 0n },
    { name: "net1", rxBytes: 5n, rxPackets: 1n, rxErrors: 0n, rxDropped: 0n, txBytes: 6n, txPackets: 1n, txErrors: 0n, txDropped: 0n },
  ],
  startedAt: 1_700_000_000_500_000_000n,
};

describe("the pod metric table", () => {
  test("names are unique, cAdvisor-shaped, and counters end in _total", () => {
    const names = POD_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of POD_METRICS) {
      expect(m.name).toMatch(/^container_[a-z_]+$/);
      if (m.type === MetricType.COUNTER) expect(m.name).toEndWith("_total");
      for (const l of m.extraLabels) expect(BASE_LABELS as readonly string[]).not.toContain(l);
    }
  });

  test("every value carries one label value per extra label key", () => {
    for (const m of POD_METRICS) for (const [extra] of m.values(full)) expect(extra.length).toBe(m.extraLabels.length);
  });

  test("an empty reading gives no values at all", () => {
    for (const m of POD_METRICS) expect(m.values({})).toEqual([]);
  });

  const cases: { desc: string; name: string; want: [string[], bigint][] }[] = [
    { desc: "CPU time is whole seconds, labelled cpu=total", name: "container_cpu_usage_seconds_total", want: [[["total"], 2n]] },
    { desc: "working set comes from the cgroup reading", name: "container_memory_working_set_bytes", want: [[[], 80n]] },
    {
      desc: "page faults are counted by type, for both scopes",
      name: "container_memory_failures_total",
      want: [[["pgfault", "container"], 7n], [["pgfault", "hierarchy"], 7n], [["pgmajfault", "container"], 1n], [["pgmajfault", "hierarchy"], 1n]],
    },
    { desc: "network bytes are per interface", name: "container_network_receive_bytes_total", want: [[["eth0"], 10n], [["net1"], 5n]] },
    { desc: "dropped packets are per interface", name: "container_network_receive_packets_dropped_total", want: [[["eth0"], 1n], [["net1"], 0n]] },
    { desc: "the writable layer is the container's fs usage", name: "container_fs_usage_bytes", want: [[[], 4096n]] },
    { desc: "start time is whole seconds since the epoch", name: "container_start_time_seconds", want: [[[], 1_700_000_000n]] },
    { desc: "process count comes from cgroup.procs", name: "container_processes", want: [[[], 3n]] },
  ];
  for (const tc of cases) test(tc.desc, () => expect(byName(tc.name).values(full)).toEqual(tc.want));

  test("no memory limit is reported as 0, as cAdvisor does", () => {
    expect(byName("container_spec_memory_limit_bytes").values({ cgroup: { memory: { usage: 1n, workingSet: 1n } } })).toEqual([[[], 0n]]);
  });
});
