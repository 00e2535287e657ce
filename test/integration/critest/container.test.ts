/**
 * critest's container specs (pkg/validate/container.go), each as critest runs it, against the compiled skiff over its socket. README.md maps every spec
 * to its test.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { isRoot } from "../harness.ts";
import { type CritestEnv, PAUSE, type Pod, TOP, codeName, logShows, parseLogLines, useCritestEnv } from "./critest-env.ts";

let env: CritestEnv;
const call = (method: string, req: object = {}) => env.call(method, req);

useCritestEnv([], (e) => {
  env = e;
});

const listed = async (filter: object) => ((await call("ListContainers", { filter })).containers as any[]).map((c) => c.id);
const stats = async (filter: object | null) => ((await call("ListContainerStats", filter ? { filter } : {})).stats as any[]).map((s) => s.attributes.id);

/** critest's testStopContainer: the stop returns within its timeout, and the container is then EXITED. */
async function stopContainer(id: string) {
  await env.call("StopContainer", { container_id: id, timeout: 60 }, 60_000);
  await env.waitState(id, "CONTAINER_EXITED");
}

describe.skipIf(!isRoot)("Container", () => {
  describe("runtime should support basic operations on container", () => {
    /** critest's BeforeEach makes a pod per spec; AfterEach stops and removes it. */
    const withPod = (fn: (pod: Pod) => Promise<void>) => async () => {
      const pod = await env.runPod("create-PodSandbox-for-container-");
      await fn(pod);
      await env.cleanup(pod);
    };

    test("runtime should support creating container [Conformance]", withPod(async (pod) => {
      const id = await env.create(pod, env.ctrConfig("container-for-create-", TOP));
      expect(await listed({ id })).toContain(id);
    }));

    test("runtime should support preserving container attributes [Conformance]", withPod(async (pod) => {
      const config = env.ctrConfig("container-with-attributes-", undefined, { linux: undefined });
      const labels = {
        foo: "bar",
        "io.kubernetes.container.name": config.metadata.name,
        "io.kubernetes.pod.name": "fake-pod-name",
        "io.kubernetes.pod.namespace": "fake-pod-namespace",
        "io.kubernetes.pod.uid": "fake-pod-uid",
      };
      const annotations = { abc: "def" };
      const id = await env.create(pod, { ...config, labels, annotations });
      const status = await env.status(id);
      expect(status.metadata).toEqual(config.metadata);
      expect(status.labels).toMatchObject(labels);
      expect(status.annotations).toMatchObject(annotations);
      const items = (await call("ListContainers", { filter: { id } })).containers;
      expect(items).toHaveLength(1);
      expect(items[0].metadata).toEqual(config.metadata);
      expect(items[0].labels).toMatchObject(labels);
      expect(items[0].annotations).toMatchObject(annotations);
    }));

    test("runtime should support starting container [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-start-test-", TOP));
      await env.waitState(id, "CONTAINER_RUNNING");
    }));

    test("runtime should support stopping container [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-stop-test-", TOP));
      await stopContainer(id);
    }));

    test("runtime should support removing created container [Conformance]", withPod(async (pod) => {
      const id = await env.create(pod, env.ctrConfig("container-for-remove-created-test-", PAUSE));
      await call("RemoveContainer", { container_id: id });
      expect(await listed({ id })).not.toContain(id);
    }));

    test("runtime should support removing running container [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-remove-running-test-", PAUSE));
      await call("RemoveContainer", { container_id: id });
      expect(await listed({ id })).not.toContain(id);
    }));

    test("runtime should support removing stopped container [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-remove-stopped-test-", PAUSE));
      await stopContainer(id);
      await call("RemoveContainer", { container_id: id });
      expect(await listed({ id })).not.toContain(id);
    }));

    test("runtime should support execSync [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-execSync-test-", TOP));
      expect(await env.execOk(id, ["echo", "-n", "hello"])).toBe("hello");
    }));

    test("runtime should support execSync with timeout [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-execSync-timeout-test-", TOP));
      expect(await codeName(env.execSync(id, ["sleep", "4321"], 1))).toBe("DEADLINE_EXCEEDED");
      // critest looks at once, with pgrep (which Debian's busybox lacks): ps, then.
      const left = await env.execSync(id, ["sh", "-c", "ps -o args | grep '^sleep 4321' || true"]);
      expect({ stdout: left.stdout.trim(), stderr: left.stderr }).toEqual({ stdout: "", stderr: "" });
    }));

    test("runtime should support listing container stats [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-stats-", TOP));
      const s = (await call("ContainerStats", { container_id: id })).stats;
      expect(s.attributes.id).toBe(id);
      expect(s.attributes.metadata.name).toContain("container-for-stats-");
      expect(Number(s.cpu.timestamp)).not.toBe(0);
      expect(Number(s.memory.timestamp)).not.toBe(0);
    }));

    test("runtime should support listing stats for started containers [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-stats-", TOP));
      expect(await stats({ id })).toContain(id);
    }));

    test("runtime should support listing stats for started containers when filter is nil [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-stats-with-nil-filter-", TOP));
      expect(await stats(null)).toContain(id);
    }));

    test("runtime should support listing stats for three created containers when filter is nil. [Conformance]", withPod(async (pod) => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await env.create(pod, env.ctrConfig("container-for-stats-with-nil-filter-", TOP)));
      for (const id of ids) await env.start(id);
      const all = await stats(null);
      for (const id of ids) expect(all).toContain(id);
    }));

    test("runtime should support listing stats for containers filtered by labels [Conformance]", withPod(async (pod) => {
      const id = await env.run(pod, env.ctrConfig("container-for-stats-with-labels-", TOP, { labels: { foo: "bar" } }));
      expect(await stats({ label_selector: { foo: "bar" } })).toContain(id);
      expect(await stats({ label_selector: { foo: "baz" } })).not.toContain(id);
    }));
  });

  describe("runtime should support adding volume and device", () => {
    /** critest's createHostPath: a temp dir holding one flag file. */
    const hostPathWithFile = () => {
      const dir = fs.mkdtempSync(path.join(env.tmp, "test"));
      fs.writeFileSync(path.join(dir, "testVolume.file"), "");
      return dir;
    };
    const volumeContainer = (prefix: string, hostPath: string) =>
      env.ctrConfig(prefix, PAUSE, { linux: undefined, mounts: [{ host_path: hostPath, container_path: hostPath, selinux_relabel: true }] });

    test("runtime should support starting container with volume [Conformance]", async () => {
      const pod = await env.runPod("create-PodSandbox-for-container-");
      const hostPath = hostPathWithFile();
      const id = await env.run(pod, volumeContainer("container-with-volume-test-", hostPath));
      await env.waitState(id, "CONTAINER_RUNNING");
      expect(await env.execOk(id, ["ls", "-A", hostPath])).not.toBe("");
      await env.cleanup(pod);
    });

    test("runtime should support starting container with volume when host path is a symlink [Conformance]", async () => {
      const pod = await env.runPod("create-PodSandbox-for-container-");
      const hostPath = hostPathWithFile();
      const symlink = `${hostPath}-symlink`;
      fs.symlinkSync(hostPath, symlink);
      const id = await env.run(pod, volumeContainer("container-with-symlink-host-path-test-", symlink));
      await env.waitState(id, "CONTAINER_RUNNING");
      expect(await env.execOk(id, ["ls", "-A", symlink])).not.toBe("");
      await env.cleanup(pod);
    });
  });

  describe("runtime should support log", () => {
    test("runtime should support starting container with log [Conformance]", async () => {
      const pod = await env.runPodWithLogs("PodSandbox-with-log-directory-", { labels: undefined });
      const config = env.ctrConfig("container-with-log-test-", ["echo", "hello World"], { linux: undefined });
      const logPath = `${config.metadata.name}.log`;
      const id = await env.run(pod, { ...config, log_path: logPath });
      await env.waitState(id, "CONTAINER_EXITED");
      expect(parseLogLines(pod, logPath)).toContainEqual({ stream: "stdout", log: "hello World\n" });
      await env.cleanup(pod);
    });

    test("runtime should support reopening container log [Conformance]", async () => {
      const pod = await env.runPodWithLogs("PodSandbox-with-log-directory-", { labels: undefined });
      const config = env.ctrConfig("container-reopen-log-test-", ["sh", "-c", "while true; do echo hello World; sleep 1; done"], { linux: undefined });
      const logPath = `${config.metadata.name}.log`;
      const id = await env.run(pod, { ...config, log_path: logPath });
      await logShows(pod, logPath, "hello World\n");
      const dir = pod.config.log_directory;
      fs.renameSync(path.join(dir, logPath), path.join(dir, `${logPath}.new`));
      await call("ReopenContainerLog", { container_id: id });
      expect(fs.existsSync(path.join(dir, logPath))).toBe(true);
      await logShows(pod, logPath, "hello World\n");
      // critest watches the old file for 5 s; more than one turn of the loop is enough here
      const oldLength = parseLogLines(pod, `${logPath}.new`).length;
      await Bun.sleep(1_500);
      expect(parseLogLines(pod, `${logPath}.new`).length).toBe(oldLength);
      await env.cleanup(pod);
    });
  });
});
