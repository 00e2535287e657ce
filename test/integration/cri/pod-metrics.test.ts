/**
 * ListMetricDescriptors and ListPodSandboxMetrics (the kubelet's PodAndContainerStatsFromCRI
 * path behind /metrics/cadvisor) on real pods, over the socket with grpc-js.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { isRoot } from "../harness.ts";
import { type PodTestEnv, startPodTestEnv, TEST_GATEWAY, waitFor } from "./pod-fixtures.ts";

let env: PodTestEnv;

type Metric = { name: string; timestamp: string; metric_type: string; label_values: string[]; value: { value: string } };
type PodMetrics = { pod_sandbox_id: string; metrics: Metric[]; container_metrics: { container_id: string; metrics: Metric[] }[] };

describe.skipIf(!isRoot)("pod metrics", () => {
  let keys: Map<string, string[]>;

  beforeAll(async () => {
    env = await startPodTestEnv();
    const descriptors = (await env.call("ListMetricDescriptors")).descriptors as { name: string; label_keys: string[] }[];
    keys = new Map(descriptors.map((x) => [x.name, x.label_keys]));
  }, 120_000);

  afterAll(async () => {
    await env?.close();
  }, 120_000);

  /** One series' labels by key, checked against its descriptor. */
  function labelsOf(m: Metric): Record<string, string> {
    const k = keys.get(m.name);
    expect(k).toBeDefined();
    expect(m.label_values.length).toBe(k!.length);
    return Object.fromEntries(k!.map((key, i) => [key, m.label_values[i]!]));
  }

  const find = (ms: Metric[], name: string, where: Record<string, string> = {}) =>
    ms.filter((m) => m.name === name && Object.entries(where).every(([k, v]) => labelsOf(m)[k] === v));

  test("the descriptors carry cAdvisor's names and labels", () => {
    for (const name of ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_network_receive_bytes_total", "container_fs_usage_bytes"]) {
      expect(keys.get(name)).toEqual(expect.arrayContaining(["container", "id", "image", "name", "namespace", "pod"]));
    }
    expect(keys.get("container_network_receive_bytes_total")).toContain("interface");
    expect(keys.get("container_cpu_usage_seconds_total")).toContain("cpu");
  });

  test("a pod's own series and its running containers' come from the same readings as the stats RPCs", async () => {
    const pod = await env.runPod("metered");
    // 24 MiB of tmpfs pages are charged to the writer's memory cgroup as working set.
    const busy = await env.runContainer(pod, "busy", "head -c 25165824 /dev/zero > /dev/shm/fill; head -c 1048576 /dev/zero > /layer.bin; echo ready; sleep 1000");
    const done = await env.runContainer(pod, "done", "exit 0");
    await waitFor("the writer to fill its memory", async () => {
      const s = (await env.call("ContainerStatus", { container_id: busy })).status;
      return fs.existsSync(s.log_path) && fs.readFileSync(s.log_path, "utf8").includes("ready") ? true : undefined;
    });
    await waitFor("the short one to exit", async () => ((await env.call("ContainerStatus", { container_id: done })).status.state === "CONTAINER_EXITED" ? true : undefined));
    expect((await env.call("ExecSync", { container_id: busy, cmd: ["ping", "-c", "2", "-W", "3", TEST_GATEWAY], timeout: 10 })).exit_code).toBe(0);

    const all = (await env.call("ListPodSandboxMetrics")).pod_metrics as PodMetrics[];
    const mine = all.find((p) => p.pod_sandbox_id === pod)!;
    expect(mine).toBeDefined();
    for (const m of [...mine.metrics, ...mine.container_metrics.flatMap((c) => c.metrics)]) {
      expect(keys.has(m.name)).toBe(true);
      expect(m.timestamp).toBe("0");
    }

    // The pod's own series: container="", its id, name and namespace.
    const podWs = find(mine.metrics, "container_memory_working_set_bytes");
    expect(podWs.length).toBe(1);
    expect(labelsOf(podWs[0]!)).toMatchObject({ container: "", id: pod, pod: "metered", namespace: "test", image: "" });
    expect(Number(podWs[0]!.value.value)).toBeGreaterThanOrEqual(24 * 1024 * 1024);
    const rx = find(mine.metrics, "container_network_receive_bytes_total", { interface: "eth0" });
    expect(rx.length).toBe(1);
    expect(rx[0]!.metric_type).toBe("COUNTER");
    expect(Number(rx[0]!.value.value)).toBeGreaterThan(0);
    expect(Number(find(mine.metrics, "container_network_transmit_packets_total", { interface: "eth0" })[0]!.value.value)).toBeGreaterThanOrEqual(2);
    expect(find(mine.metrics, "container_network_receive_bytes_total", { interface: "lo" })).toEqual([]);
    expect(Number(find(mine.metrics, "container_processes")[0]!.value.value)).toBeGreaterThanOrEqual(1);

    // Only the running container has series (the exited one has no cgroup left).
    expect(mine.container_metrics.map((c) => c.container_id)).toEqual([busy]);
    const cm = mine.container_metrics[0]!.metrics;
    const ws = find(cm, "container_memory_working_set_bytes");
    expect(labelsOf(ws[0]!)).toMatchObject({ container: "busy", id: busy, name: busy, pod: "metered", namespace: "test" });
    expect(labelsOf(ws[0]!).image).toContain("busybox");
    expect(ws[0]!.metric_type).toBe("GAUGE");
    const stats = (await env.call("ContainerStats", { container_id: busy })).stats;
    const statWs = Number(stats.memory.working_set_bytes.value);
    // Two reads a moment apart: the same cgroup, give or take a few pages.
    expect(Math.abs(Number(ws[0]!.value.value) - statWs)).toBeLessThan(4 * 1024 * 1024);
    expect(labelsOf(find(cm, "container_cpu_usage_seconds_total")[0]!).cpu).toBe("total");
    expect(Number(find(cm, "container_fs_usage_bytes")[0]!.value.value)).toBeGreaterThanOrEqual(1024 * 1024);
    const started = Number(find(cm, "container_start_time_seconds")[0]!.value.value);
    expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(300);
    expect(find(cm, "container_network_receive_bytes_total")).toEqual([]);

    const streamed = (await env.d.runtime.stream("StreamPodSandboxMetrics")).flatMap((b: any) => b.pod_sandbox_metrics) as PodMetrics[];
    expect(streamed.map((p) => p.pod_sandbox_id).sort()).toEqual(all.map((p) => p.pod_sandbox_id).sort());
  });

  test("a host-network pod has no network series, and a removed pod none at all", async () => {
    const hostNet = { linux: { security_context: { namespace_options: { network: "NODE" } } } };
    const pod = await env.runPod("hostnet", hostNet);
    await env.runContainer(pod, "sleeper", "sleep 1000", hostNet);
    let all = (await env.call("ListPodSandboxMetrics")).pod_metrics as PodMetrics[];
    const mine = all.find((p) => p.pod_sandbox_id === pod)!;
    expect(mine.metrics.filter((m) => m.name.startsWith("container_network_"))).toEqual([]);
    expect(mine.container_metrics.length).toBe(1);
    await env.call("RemovePodSandbox", { pod_sandbox_id: pod });
    all = (await env.call("ListPodSandboxMetrics")).pod_metrics as PodMetrics[];
    expect(all.map((p) => p.pod_sandbox_id)).not.toContain(pod);
  });
});
