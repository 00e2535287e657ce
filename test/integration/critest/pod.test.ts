/**
 * critest's pod sandbox specs (pkg/validate/pod.go, pod_linux.go), its idempotence specs
 * (idempotence.go) and its runtime info specs (runtime_info.go), each as critest runs it,
 * against the compiled skiff over its socket. README.md maps every spec to its test.
 */
import { describe, expect, test } from "bun:test";
import { isRoot } from "../harness.ts";
import { type CritestEnv, type Pod, codeName, useCritestEnv } from "./critest-env.ts";

let env: CritestEnv;
const call = (method: string, req: object = {}) => env.call(method, req);

const listPods = async (filter: object) => (await call("ListPodSandbox", { filter })).items as any[];
const podState = async (pod: Pod) => (await call("PodSandboxStatus", { pod_sandbox_id: pod.id })).status.state;
/** critest's DefaultPodLabels are empty; RunDefaultPodSandbox sends them, and a cgroup parent. */
const runDefaultPod = (prefix: string) => env.runPod(prefix);
/** critest makes ids of things that do not exist with uuid.New(): not hex, with dashes. */
const unknownId = () => crypto.randomUUID();

useCritestEnv([], (e) => {
  env = e;
});

describe.skipIf(!isRoot)("PodSandbox", () => {
  describe("runtime should support basic operations on PodSandbox", () => {
    test("runtime should support running PodSandbox [Conformance]", async () => {
      const pod = await runDefaultPod("PodSandbox-for-create-test-");
      expect(await podState(pod)).toBe("SANDBOX_READY");
      expect((await listPods({ id: pod.id })).map((p) => p.id)).toContain(pod.id);
      await env.cleanup(pod);
    });

    test("runtime should support stopping PodSandbox [Conformance]", async () => {
      const pod = await runDefaultPod("PodSandbox-for-test-stop-");
      await call("StopPodSandbox", { pod_sandbox_id: pod.id });
      expect(await podState(pod)).toBe("SANDBOX_NOTREADY");
      await env.cleanup(pod);
    });

    test("runtime should support removing PodSandbox [Conformance]", async () => {
      const pod = await runDefaultPod("PodSandbox-for-test-remove-");
      await call("StopPodSandbox", { pod_sandbox_id: pod.id });
      await call("RemovePodSandbox", { pod_sandbox_id: pod.id });
      expect((await listPods({ id: pod.id })).map((p) => p.id)).not.toContain(pod.id);
    });

    test("runtime should support preserving PodSandbox attributes [Conformance]", async () => {
      const config = env.podConfig("PodSandbox-with-attributes-");
      const { name, namespace, uid } = config.metadata;
      const labels = { foo: "bar", "io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace, "io.kubernetes.pod.uid": uid };
      const annotations = { abc: "def" };
      const pod = await env.runPod("", { metadata: config.metadata, labels, annotations });
      const status = (await call("PodSandboxStatus", { pod_sandbox_id: pod.id })).status;
      expect(status.metadata).toEqual(config.metadata);
      expect(status.labels).toMatchObject(labels);
      expect(status.annotations).toMatchObject(annotations);
      const listed = await listPods({ id: pod.id });
      expect(listed).toHaveLength(1);
      expect(listed[0].metadata).toEqual(config.metadata);
      expect(listed[0].labels).toMatchObject(labels);
      expect(listed[0].annotations).toMatchObject(annotations);
      await env.cleanup(pod);
    });
  });

  describe("runtime should support sysctls", () => {
    const cases = [
      { spec: "should support safe sysctls", key: "kernel.shm_rmid_forced", value: "1" },
      { spec: "should support unsafe sysctls", key: "fs.mqueue.msg_max", value: "100" },
    ];
    for (const tc of cases) {
      test(tc.spec, async () => {
        const pod = await env.runPod("pod-sandbox-with-sysctls-", { labels: undefined, linux: { cgroup_parent: "", sysctls: { [tc.key]: tc.value } } });
        const id = await env.run(pod, env.ctrConfig("container-sysctl-", ["top"]));
        const out = await env.execSync(id, ["cat", `/proc/sys/${tc.key.replaceAll(".", "/")}`]);
        expect(out.exitCode).toBe(0);
        expect(out.stdout.trim()).toBe(tc.value);
        await env.cleanup(pod);
      });
    }
  });
});

describe.skipIf(!isRoot)("Idempotence", () => {
  describe("StopPodSandbox", () => {
    test("should not return an error if not found", async () => {
      expect(await codeName(call("StopPodSandbox", { pod_sandbox_id: unknownId() }))).toBe("OK");
    });
    test("should not return an error if already stopped", async () => {
      const pod = await runDefaultPod("idempotence-pod-");
      for (let i = 0; i < 2; i++) {
        await call("StopPodSandbox", { pod_sandbox_id: pod.id });
        expect(await podState(pod)).toBe("SANDBOX_NOTREADY");
      }
      await call("RemovePodSandbox", { pod_sandbox_id: pod.id });
    });
  });
  describe("RemovePodSandbox", () => {
    test("should not return an error if not found", async () => {
      expect(await codeName(call("RemovePodSandbox", { pod_sandbox_id: unknownId() }))).toBe("OK");
    });
  });
  describe("StopContainer", () => {
    test("should not return an error if not found", async () => {
      expect(await codeName(call("StopContainer", { container_id: unknownId(), timeout: 0 }))).toBe("OK");
    });
    test("should not return an error if already stopped", async () => {
      const pod = await env.runPod("create-PodSandbox-for-container-");
      const id = await env.run(pod, env.ctrConfig("idempotence-container-", ["sh", "-c", "top"]));
      await call("StopContainer", { container_id: id, timeout: 60 });
      await env.waitState(id, "CONTAINER_EXITED");
      await call("RemoveContainer", { container_id: id });
      expect(await codeName(call("RemoveContainer", { container_id: id }))).toBe("OK");
      await env.cleanup(pod);
    });
  });
  describe("RemoveContainer", () => {
    test("should not return an error if not found", async () => {
      expect(await codeName(call("RemoveContainer", { container_id: unknownId() }))).toBe("OK");
    });
  });
  describe("RemoveImage", () => {
    test("should not return an error if not found", async () => {
      const image = { image: "0".repeat(64) };
      expect(await codeName(env.d.image.call("RemoveImage", { image }))).toBe("OK");
      expect(await codeName(env.d.image.call("RemoveImage", { image }))).toBe("OK");
    });
  });
});

describe.skipIf(!isRoot)("Runtime info", () => {
  describe("runtime should support returning runtime info", () => {
    test("runtime should return version info [Conformance]", async () => {
      // critest asks with its own default API version
      const v = await call("Version", { version: "v1" });
      for (const k of ["version", "runtime_name", "runtime_version", "runtime_api_version"]) expect(v[k]).toBeTruthy();
    });
    test("runtime should return runtime conditions [Conformance]", async () => {
      const conditions = (await call("Status", { verbose: false })).status.conditions as any[];
      const up = conditions.filter((c) => ["RuntimeReady", "NetworkReady"].includes(c.type) && c.status);
      expect(up.length).toBeGreaterThanOrEqual(2);
    });
  });
});
