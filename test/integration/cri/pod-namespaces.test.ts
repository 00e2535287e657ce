/**
 * Pods with and without an infra process, on a real kernel: what a pod's containers share
 * (network, UTS, IPC always; PID only with shareProcessNamespace), the pod's sysctls, its
 * network stats, and what a restart finds. Kubelet-shaped pods (each container its own PID
 * namespace) get no infra process: the pod is its pinned namespaces.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { isRoot } from "../harness.ts";
import { type PodTestEnv, SHARED_PID, startPodTestEnv, TEST_GATEWAY, waitFor } from "./pod-fixtures.ts";

let env: PodTestEnv;

/** The inode of each namespace of the process `cmd` runs as inside `container`. */
async function namespacesOf(container: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ns of ["net", "uts", "ipc", "pid"]) out[ns] = (await env.exec(container, ["stat", "-L", "-c", "%i", `/proc/self/ns/${ns}`])).trim();
  return out;
}

/** The runtime containers runc knows under skiff's runtime root. */
function runcContainers(): string[] {
  const root = path.join(env.d.state, "runtime", "runc");
  return Bun.spawnSync(["runc", "--root", root, "list", "-q"]).stdout.toString().split("\n").filter(Boolean);
}

async function verboseInfo(pod: string) {
  return JSON.parse((await env.call("PodSandboxStatus", { pod_sandbox_id: pod, verbose: true })).info.info);
}

describe.skipIf(!isRoot)("pods with and without an infra process", () => {
  beforeAll(async () => {
    env = await startPodTestEnv();
  }, 120_000);

  afterAll(async () => {
    await env?.close();
  }, 120_000);

  test("a kubelet-shaped pod has no runtime container; its containers share the pinned network, UTS and IPC namespaces but not PID", async () => {
    const pod = await env.runPod("no-infra");
    expect(runcContainers()).not.toContain(pod);
    const info = await verboseInfo(pod);
    expect(info.infra).toBe(false);
    expect(info.pid).toBeUndefined();
    const a = await env.runContainer(pod, "a", "echo from-a > /dev/shm/note; sleep 1000");
    const b = await env.runContainer(pod, "b", "sleep 1000");
    const [na, nb] = [await namespacesOf(a), await namespacesOf(b)];
    for (const kind of ["net", "uts", "ipc"] as const) {
      const pinInode = String(fs.statSync(info.netns[kind]).ino);
      expect(na[kind]).toBe(pinInode);
      expect(nb[kind]).toBe(pinInode);
    }
    expect(na.pid).not.toBe(nb.pid);
    // Each container's own process is PID 1 of its own namespace (sh exec'd its last command).
    expect((await env.exec(b, ["cat", "/proc/1/cmdline"])).split("\0")).toEqual(["sleep", "1000", ""]);
    expect((await env.exec(b, ["hostname"])).trim()).toBe("no-infra");
    await waitFor("a's note in the pod's /dev/shm", async () => ((await env.exec(b, ["cat", "/dev/shm/note"]).catch(() => "")).includes("from-a") ? true : undefined));
    // The network is the pod's: b reaches the bridge, and lo is up.
    await env.exec(b, ["ping", "-c", "1", "-W", "3", TEST_GATEWAY]);
    await env.exec(b, ["ping", "-c", "1", "-W", "3", "127.0.0.1"]);
  });

  test("a pod sharing one PID namespace still has an infra process as PID 1, and its containers see each other", async () => {
    const pod = await env.runPod("shared-pid", SHARED_PID);
    expect(runcContainers()).toContain(pod);
    const info = await verboseInfo(pod);
    expect(info.infra).toBe(true);
    expect(typeof info.pid).toBe("number");
    expect(info.runtimeSpec.annotations["io.kubernetes.cri.container-type"]).toBe("sandbox");
    const a = await env.runContainer(pod, "a", "sleep 1001", SHARED_PID);
    const b = await env.runContainer(pod, "b", "sleep 1000", SHARED_PID);
    expect((await namespacesOf(a)).pid).toBe((await namespacesOf(b)).pid);
    expect((await env.exec(b, ["cat", "/proc/1/cmdline"])).split("\0")[0]).toBe("/catatonit");
    expect(await env.exec(b, ["ps"])).toContain("sleep 1001");
  });

  test("a host-PID, host-IPC pod has no infra process; its containers are in the host's PID and IPC namespaces and the pod's own network", async () => {
    const host = { linux: { security_context: { namespace_options: { pid: "NODE", ipc: "NODE" } } } };
    const pod = await env.runPod("host-pid-ipc", host);
    expect(runcContainers()).not.toContain(pod);
    const c = await env.runContainer(pod, "c", "sleep 1000", host);
    const ns = await namespacesOf(c);
    expect(ns.pid).toBe(String(fs.statSync("/proc/self/ns/pid").ino));
    expect(ns.ipc).toBe(String(fs.statSync("/proc/self/ns/ipc").ino));
    expect(ns.net).toBe(String(fs.statSync((await verboseInfo(pod)).netns.net).ino));
    expect(ns.net).not.toBe(String(fs.statSync("/proc/self/ns/net").ino));
  });

  test("a container asking to share a PID namespace in a pod that has none is refused, naming the field", async () => {
    const pod = await env.runPod("no-shared-pid");
    const s = await env.call("PodSandboxStatus", { pod_sandbox_id: pod });
    const err = await env.runContainer(pod, "wants-pod-pid", "sleep 1", SHARED_PID).catch((e) => e);
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toContain("namespace_options.pid");
    expect(s.status.state).toBe("SANDBOX_READY");
    expect((await env.call("ListContainers", { filter: { pod_sandbox_id: pod } })).containers).toEqual([]);
  });

  test("pod sysctls are set in the pod's own namespaces and nowhere else, with or without an infra process", async () => {
    const hostSomaxconn = fs.readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim();
    const hostShmmni = fs.readFileSync("/proc/sys/kernel/shmmni", "utf8").trim();
    const sysctls = { "net.core.somaxconn": "777", "kernel.shmmni": "2048" };
    for (const [name, over] of [["sysctl-no-infra", {}], ["sysctl-infra", SHARED_PID]] as const) {
      const pod = await env.runPod(name, { linux: { sysctls, ...over.linux } });
      const c = await env.runContainer(pod, "c", "sleep 1000", over);
      expect((await env.exec(c, ["cat", "/proc/sys/net/core/somaxconn"])).trim()).toBe("777");
      expect((await env.exec(c, ["cat", "/proc/sys/kernel/shmmni"])).trim()).toBe("2048");
      // The defaults for a pod of its own network: ports from 0, ping for all groups.
      expect((await env.exec(c, ["cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"])).trim()).toBe("0");
    }
    expect(fs.readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim()).toBe(hostSomaxconn);
    expect(fs.readFileSync("/proc/sys/kernel/shmmni", "utf8").trim()).toBe(hostShmmni);

    const cases = [
      { desc: "a net sysctl of a host-network pod", linux: { sysctls: { "net.core.somaxconn": "1" }, security_context: { namespace_options: { network: "NODE" } } }, key: "net.core.somaxconn" },
      { desc: "a node-wide sysctl", linux: { sysctls: { "vm.swappiness": "1" } }, key: "vm.swappiness" },
    ];
    const before = (await env.call("ListPodSandbox", {})).items.length;
    for (const tc of cases) {
      const err = await env.runPod(`bad-${tc.key}`, { linux: tc.linux }).catch((e) => e);
      expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(err.details).toContain(`config.linux.sysctls["${tc.key}"]`);
    }
    expect((await env.call("ListPodSandbox", {})).items.length).toBe(before);
  });

  test("a pod without an infra process reports its network traffic, read through its pinned namespace", async () => {
    const pod = await env.runPod("traffic");
    const c = await env.runContainer(pod, "pinger", "sleep 1000");
    await env.exec(c, ["ping", "-c", "3", "-i", "0.2", "-W", "3", TEST_GATEWAY]);
    const stats = (await env.call("PodSandboxStats", { pod_sandbox_id: pod })).stats;
    const eth0 = stats.linux.network.default_interface;
    expect(eth0.name).toBe("eth0");
    expect(Number(eth0.rx_bytes.value)).toBeGreaterThan(0);
    expect(Number(eth0.tx_bytes.value)).toBeGreaterThan(0);
    expect(stats.linux.network.interfaces.map((i: any) => i.name)).not.toContain("lo");
    // CPU and memory are its containers'.
    expect(Number(stats.linux.memory.working_set_bytes.value)).toBeGreaterThan(0);
  });

  test("after kill -9 a pod without an infra process is still ready with its containers; one whose namespaces vanished while skiff was down is not", async () => {
    const kept = await env.runPod("survivor");
    const c = await env.runContainer(kept, "c", "sleep 1000");
    const lost = await env.runPod("lost");
    const lostPins = Object.values((await verboseInfo(lost)).netns) as string[];
    // What a reboot does to the state dir meanwhile: the namespace mounts are gone.
    await env.killAndRestart(() => {
      for (const pin of lostPins) Bun.spawnSync(["umount", "-l", pin]);
    });
    const statusOf = async (id: string) => (await env.call("PodSandboxStatus", { pod_sandbox_id: id })).status.state;
    expect(await statusOf(kept)).toBe("SANDBOX_READY");
    expect((await env.call("ContainerStatus", { container_id: c })).status.state).toBe("CONTAINER_RUNNING");
    expect((await env.exec(c, ["hostname"])).trim()).toBe("survivor");
    expect(await statusOf(lost)).toBe("SANDBOX_NOTREADY");
    await env.call("RemovePodSandbox", { pod_sandbox_id: lost });
    for (const pin of lostPins) expect(fs.existsSync(pin)).toBe(false);
  }, 60_000);
});
