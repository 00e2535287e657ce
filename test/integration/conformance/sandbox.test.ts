/**
 * Pod sandboxes: RunPodSandbox, PodSandboxStatus after each transition, StopPodSandbox
 * and RemovePodSandbox (idempotent, as api.proto requires), the refusals of bad requests,
 * and the fields a kubelet reads back.
 */
import { type Case, codeOf, expect, okOrFailed, refusal, runCases } from "./cases.ts";
import { containerStatus, ctrConfig, podConfig, podLinux, podStatus, runContainer, runPod } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes();
const UNKNOWN = "0123456789abcdef0123456789abcdef";

const call = (rt: Runtime, method: string, req: object) => rt.runtime.call<any>(method, req, 60_000);
const inSubnet = (rt: Runtime, ip: string) => ip.startsWith(rt.subnet.replace(/0\/24$/, ""));
/** created_at (ns since the epoch) lies within the last minute. */
const recent = (ns: string) => Math.abs(Date.now() - Number(BigInt(ns) / 1_000_000n)) < 60_000;

/** The status fields a kubelet reads, with the runtime-specific ones (id, IP, times) checked and replaced by what they mean. */
function described(rt: Runtime, s: any) {
  return {
    state: s.state,
    metadata: s.metadata,
    labels: s.labels,
    annotations: s.annotations,
    namespaces: s.linux?.namespaces?.options,
    ipInPodSubnet: inSubnet(rt, s.network?.ip ?? ""),
    createdRecently: recent(s.created_at),
    runtimeHandler: s.runtime_handler,
  };
}

const cases: Case<any>[] = [
  {
    desc: "Version names CRI v1, and Status says the runtime and its network are ready",
    run: async (rt) => {
      const v = await call(rt, "Version", { version: "v1" });
      const s = await call(rt, "Status", {});
      return { api: v.runtime_api_version, conditions: s.status.conditions.map((c: any) => [c.type, c.status]).sort() };
    },
    check: (seen) => expect(seen).toEqual({ api: "v1", conditions: [["NetworkReady", true], ["RuntimeReady", true]] }),
  },
  {
    desc: "RunPodSandbox makes a ready pod whose status echoes its metadata, labels, annotations and namespace options, with an IP on the pod network",
    run: async (rt) => described(rt, await podStatus(rt, (await runPod(rt, "ready")).id)),
    check: (seen) =>
      expect(seen).toEqual({
        state: "SANDBOX_READY",
        metadata: { name: "ready", namespace: "conformance", uid: "uid-ready", attempt: 0 },
        labels: { app: "ready", suite: "conformance" },
        annotations: { "example.com/pod": "ready" },
        namespaces: { network: "POD", pid: "CONTAINER", ipc: "POD", target_id: "", userns_options: null },
        ipInPodSubnet: true,
        createdRecently: true,
        runtimeHandler: "",
      }),
  },
  {
    desc: "a host-network pod has no IP of its own",
    run: async (rt) => {
      const s = await podStatus(rt, (await runPod(rt, "hostnet", { ...podLinux({ namespace_options: { network: "NODE" } }), hostname: "" })).id);
      return { state: s.state, ip: s.network?.ip ?? "", namespaces: s.linux.namespaces.options.network };
    },
    check: (seen) => expect(seen).toEqual({ state: "SANDBOX_READY", ip: "", namespaces: "NODE" }),
  },
  {
    desc: "StopPodSandbox makes the pod not ready and stops its running containers; stopping again is fine",
    run: async (rt) => {
      const pod = await runPod(rt, "stopped");
      const c = await runContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 100000"));
      await call(rt, "StopPodSandbox", { pod_sandbox_id: pod.id });
      const again = await codeOf(call(rt, "StopPodSandbox", { pod_sandbox_id: pod.id }));
      const s = await podStatus(rt, pod.id);
      return { state: s.state, metadata: s.metadata.name, again, container: (await containerStatus(rt, c)).state };
    },
    check: (seen) => expect(seen).toEqual({ state: "SANDBOX_NOTREADY", metadata: "stopped", again: "OK", container: "CONTAINER_EXITED" }),
  },
  {
    desc: "RemovePodSandbox removes a stopped pod and its containers; removing again is fine; its status is then NotFound",
    run: async (rt) => {
      const pod = await runPod(rt, "removed");
      const c = await runContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 100000"));
      await call(rt, "StopPodSandbox", { pod_sandbox_id: pod.id });
      await call(rt, "RemovePodSandbox", { pod_sandbox_id: pod.id });
      return {
        again: await codeOf(call(rt, "RemovePodSandbox", { pod_sandbox_id: pod.id })),
        pod: await codeOf(call(rt, "PodSandboxStatus", { pod_sandbox_id: pod.id })),
        container: await codeOf(call(rt, "ContainerStatus", { container_id: c })),
      };
    },
    check: (seen) => expect(seen).toEqual({ again: "OK", pod: "NOT_FOUND", container: "NOT_FOUND" }),
  },
  {
    desc: "RemovePodSandbox of an id that never existed succeeds",
    run: (rt) => codeOf(call(rt, "RemovePodSandbox", { pod_sandbox_id: UNKNOWN })),
    check: (seen) => expect(seen).toBe("OK"),
  },
  {
    desc: "StopPodSandbox of an id that never existed succeeds",
    skiffOnly: "containerd 1.6 answers NotFound; api.proto makes StopPodSandbox idempotent, and the kubelet stops pods it has lost track of",
    run: (rt) => codeOf(call(rt, "StopPodSandbox", { pod_sandbox_id: UNKNOWN })),
    check: (seen) => expect(seen).toBe("OK"),
  },
  {
    desc: "RemovePodSandbox of a ready pod with a running container stops and removes both",
    run: async (rt) => {
      const pod = await runPod(rt, "forced");
      const c = await runContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 100000"));
      return {
        remove: await codeOf(call(rt, "RemovePodSandbox", { pod_sandbox_id: pod.id })),
        pod: await codeOf(call(rt, "PodSandboxStatus", { pod_sandbox_id: pod.id })),
        container: await codeOf(call(rt, "ContainerStatus", { container_id: c })),
      };
    },
    check: (seen) => expect(seen).toEqual({ remove: "OK", pod: "NOT_FOUND", container: "NOT_FOUND" }),
  },
  {
    desc: "PodSandboxStatus of an unknown id is NotFound",
    run: (rt) => codeOf(call(rt, "PodSandboxStatus", { pod_sandbox_id: UNKNOWN })),
    check: (seen) => expect(seen).toBe("NOT_FOUND"),
  },
  {
    desc: "PodSandboxStatus with verbose adds an info map",
    run: async (rt) => {
      const pod = await runPod(rt, "verbose");
      const r = await call(rt, "PodSandboxStatus", { pod_sandbox_id: pod.id, verbose: true });
      return { keys: Object.keys(r.info), json: typeof JSON.parse(r.info.info) };
    },
    check: (seen) => expect(seen).toEqual({ keys: ["info"], json: "object" }),
  },
  {
    desc: "a second pod with the same name, namespace, uid and attempt is refused; another attempt is not",
    run: async (rt) => {
      const first = await runPod(rt, "twice");
      return {
        same: await okOrFailed(call(rt, "RunPodSandbox", { config: first.config })),
        nextAttempt: await okOrFailed(call(rt, "RunPodSandbox", { config: { ...first.config, metadata: { ...first.config.metadata, attempt: 1 } } })),
      };
    },
    check: (seen) => expect(seen).toEqual({ same: "failed", nextAttempt: "OK" }),
  },
  {
    desc: "RunPodSandbox without a config, without metadata, or with an unknown runtime handler is refused",
    run: async (rt) => ({
      noConfig: await okOrFailed(call(rt, "RunPodSandbox", {})),
      noMetadata: await okOrFailed(call(rt, "RunPodSandbox", { config: { ...podConfig(rt, "nometa"), metadata: null } })),
      handler: await okOrFailed(call(rt, "RunPodSandbox", { config: podConfig(rt, "handler"), runtime_handler: "no-such-handler" })),
    }),
    check: (seen) => expect(seen).toEqual({ noConfig: "failed", noMetadata: "failed", handler: "failed" }),
  },
  {
    desc: "refusals of a bad RunPodSandbox carry the codes the CRI calls for",
    skiffOnly: "containerd 1.6 answers Unknown for these, and accepts a pod whose metadata has no name",
    run: async (rt) => {
      const first = await runPod(rt, "codes");
      return {
        noConfig: await refusal(call(rt, "RunPodSandbox", {}), "config"),
        noName: await refusal(call(rt, "RunPodSandbox", { config: { ...podConfig(rt, "x"), metadata: { namespace: "n", uid: "u" } } }), "config.metadata.name"),
        handler: await refusal(call(rt, "RunPodSandbox", { config: podConfig(rt, "handler-code"), runtime_handler: "no-such-handler" }), "no-such-handler"),
        duplicate: await refusal(call(rt, "RunPodSandbox", { config: first.config }), first.id),
        statusNoId: await refusal(call(rt, "PodSandboxStatus", { pod_sandbox_id: "" }), "pod_sandbox_id"),
      };
    },
    check: (seen) =>
      expect(seen).toEqual({
        noConfig: "INVALID_ARGUMENT config",
        noName: "INVALID_ARGUMENT config.metadata.name",
        handler: "INVALID_ARGUMENT no-such-handler",
        duplicate: expect.stringMatching(/^ALREADY_EXISTS [0-9a-f]{64}$/),
        statusNoId: "INVALID_ARGUMENT pod_sandbox_id",
      }),
  },
  {
    desc: "PodSandboxStatus carries the statuses of the pod's containers",
    skiffOnly: "containerd 1.6 predates PodSandboxStatusResponse.containers_statuses (added for the evented PLEG)",
    run: async (rt) => {
      const pod = await runPod(rt, "with-statuses");
      const c = await runContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 100000"));
      const r = await call(rt, "PodSandboxStatus", { pod_sandbox_id: pod.id });
      return r.containers_statuses.map((s: any) => [s.id === c, s.state]);
    },
    check: (seen) => expect(seen).toEqual([[true, "CONTAINER_RUNNING"]]),
  },
  {
    desc: "PodSandboxStats of a pod without a cgroup parent reports its containers' CPU and memory",
    skiffOnly: "containerd 1.6 answers \"cgroupPath is empty\" for a pod without a cgroup parent",
    run: async (rt) => {
      const pod = await runPod(rt, "stats");
      await runContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 100000"));
      const s = (await call(rt, "PodSandboxStats", { pod_sandbox_id: pod.id })).stats;
      return { id: s.attributes.id === pod.id, memory: Number(s.linux.memory.working_set_bytes.value) > 0, containers: s.linux.containers.length };
    },
    check: (seen) => expect(seen).toEqual({ id: true, memory: true, containers: 1 }),
  },
];

runCases("pod sandboxes", rts, cases);
