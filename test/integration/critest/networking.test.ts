/**
 * critest's networking specs (pkg/validate/networking.go) and its multi-container specs
 * (multi_container_linux.go), each as critest runs it, against the compiled skiff over its
 * socket. nginx and httpd are busybox httpd here (critest-images.ts). README.md maps every
 * spec to its test.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { TEST_HOST_PORT } from "../cri/pod-fixtures.ts";
import { isRoot } from "../harness.ts";
import { type CritestEnv, type Pod, checkMainPage, useCritestEnv, waitFor } from "./critest-env.ts";

let env: CritestEnv;

useCritestEnv(["web"], (e) => {
  env = e;
});

const podIp = async (pod: Pod) => (await env.call("PodSandboxStatus", { pod_sandbox_id: pod.id })).status.network.ip as string;
/** critest's createWebServerContainer: the web server image with its own command. */
const webServer = (prefix: string): Record<string, any> => ({ ...env.ctrConfig(prefix, undefined), image: { image: env.critest.web } });

describe.skipIf(!isRoot)("Networking", () => {
  describe("runtime should support networking", () => {
    test("runtime should support DNS config [Conformance]", async () => {
      const pod = await env.runPod("create-PodSandbox-with-DNS-config", { dns_config: { servers: ["10.10.10.10"], searches: ["google.com"], options: ["ndots:8"] } });
      const id = await env.run(pod, env.ctrConfig("container-for-DNS-config-test-", ["top"]));
      const r = await env.execSync(id, ["cat", "/etc/resolv.conf"]);
      expect(r.exitCode).toBe(0);
      for (const line of ["nameserver 10.10.10.10", "search google.com", "options ndots:8"]) expect(r.stdout).toContain(line);
      expect(r.stderr).toBe("");
      await env.cleanup(pod);
    });

    test("runtime should support set hostname [Conformance]", async () => {
      const pod = await env.runPod("create-PodSandbox-with-hostname", { hostname: "test-hostname" });
      const id = await env.run(pod, env.ctrConfig("container-for-hostname-test-", ["top"]));
      const r = await env.execSync(id, ["hostname"]);
      expect({ code: r.exitCode, hostname: r.stdout.trim().toLowerCase(), stderr: r.stderr }).toEqual({ code: 0, hostname: "test-hostname", stderr: "" });
      await env.cleanup(pod);
    });

    test("runtime should support port mapping with only container port [Conformance]", async () => {
      const pod = await env.runPod("create-PodSandbox-with-port-mapping", { port_mappings: [{ container_port: 80 }] });
      await env.run(pod, webServer("container-for-container-port"));
      await checkMainPage(`http://${await podIp(pod)}:80`);
      await env.cleanup(pod);
    });

    test("runtime should support port mapping with host port and container port [Conformance]", async () => {
      // critest's host port is 12000; this process's own here, so that runs side by side do not collide
      const pod = await env.runPod("create-PodSandbox-with-port-mapping", { port_mappings: [{ container_port: 80, host_port: TEST_HOST_PORT }] });
      await env.run(pod, webServer("container-for-host-port"));
      await checkMainPage(`http://127.0.0.1:${TEST_HOST_PORT}`);
      await env.cleanup(pod);
    });
  });
});

describe.skipIf(!isRoot)("Multiple Containers [Conformance]", () => {
  describe("when running multiple containers in a pod", () => {
    /** critest's BeforeEach: a pod with a log directory and port 80, an httpd container and a busybox one, both running. */
    async function multi() {
      const pod = await env.runPodWithLogs("PodSandbox-for-multi-container-test-", { port_mappings: [{ container_port: 80 }] });
      const httpdConfig = webServer("httpd");
      const httpd = await env.run(pod, { ...httpdConfig, log_path: `${httpdConfig.metadata.name}.log` });
      await env.waitState(httpd, "CONTAINER_RUNNING");
      const bbConfig = env.ctrConfig("busybox", ["sh", "-c", "echo hello World; sleep 1000"], { linux: undefined });
      const busybox = await env.run(pod, { ...bbConfig, log_path: `${bbConfig.metadata.name}.log` });
      await env.waitState(busybox, "CONTAINER_RUNNING");
      return { pod, httpd, busybox };
    }

    test("should support network", async () => {
      const { pod } = await multi();
      await checkMainPage(`http://${await podIp(pod)}:80`);
      await env.cleanup(pod);
    });

    test("should support container log", async () => {
      const { pod, httpd, busybox } = await multi();
      for (const [id, want] of [[httpd, "httpd"], [busybox, "hello World"]] as const) {
        const logPath = (await env.status(id)).log_path as string;
        await waitFor(`"${want}" in ${logPath}`, async () => (fs.existsSync(logPath) && fs.readFileSync(logPath, "utf8").includes(want) ? true : undefined), 60_000);
      }
      await env.cleanup(pod);
    });

    test("should support container exec", async () => {
      const { pod, httpd, busybox } = await multi();
      expect(await env.execOk(httpd, ["echo", "httpd"])).toBe("httpd\n");
      expect(await env.execOk(busybox, ["echo", "busybox"])).toBe("busybox\n");
      await env.cleanup(pod);
    });
  });
});
