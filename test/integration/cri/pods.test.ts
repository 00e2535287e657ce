/**
 * Pods and containers for real, as root: skiff with runc, conmon and the CNI plugins,
 * images from a local registry, driven over its socket by grpc-js.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { pushPodImages, type PodImages } from "../../support/pod-images.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { type Daemon, isRoot, startDaemon } from "../harness.ts";
import { codeOf, containerConfig, mountsUnder, podConfig, removePodsAndStop, setUpTestNetwork, SHARED_PID, TEST_GATEWAY, TEST_HOST_PORT, TEST_SUBNET, waitFor } from "./pod-fixtures.ts";

let reg: TestRegistry;
let images: PodImages;
let d: Daemon;
let undoNetwork = () => {};
let logs: string;
/** What earlier daemons of this file printed (before a restart replaced them). */
let earlierOutput = "";

const call = <T = any>(method: string, req: object = {}, ms = 60_000) => d.runtime.call<T>(method, req, ms);

async function runPod(name: string, over: Record<string, unknown> = {}): Promise<string> {
  const r = await call("RunPodSandbox", { config: podConfig(name, path.join(logs, name), over) });
  return r.pod_sandbox_id as string;
}

async function runContainer(pod: string, name: string, script: string, over: Record<string, unknown> = {}): Promise<string> {
  const s = await call("PodSandboxStatus", { pod_sandbox_id: pod });
  const sandboxConfig = podConfig(s.status.metadata.name, path.join(logs, s.status.metadata.name));
  const c = await call("CreateContainer", { pod_sandbox_id: pod, config: containerConfig(name, images.busybox, script, over), sandbox_config: sandboxConfig });
  await call("StartContainer", { container_id: c.container_id });
  return c.container_id as string;
}

async function statusOf(id: string) {
  return (await call("ContainerStatus", { container_id: id })).status;
}

/** What the container logged so far. */
async function logOf(id: string): Promise<string> {
  const logPath = (await statusOf(id)).log_path as string;
  return fs.existsSync(logPath) ? fs.readFileSync(logPath, "utf8") : "";
}

async function exitedStatus(id: string) {
  return waitFor(`container ${id} to exit`, async () => {
    const s = await statusOf(id);
    return s.state === "CONTAINER_EXITED" ? s : undefined;
  });
}

describe.skipIf(!isRoot)("pods and containers", () => {
  beforeAll(async () => {
    reg = await startRegistry();
    images = await pushPodImages(reg.host);
    const dir = fs.mkdtempSync("/tmp/skiff-pods-");
    const confDir = path.join(dir, "cni");
    undoNetwork = setUpTestNetwork(confDir, path.join(dir, "ipam"));
    logs = path.join(dir, "logs");
    d = await startDaemon({ extraConfig: `\n[cni]\nconf_dir = "${confDir}"\nwrite_default = false\n`, serverConfig: 'metrics_address = "127.0.0.1:0"\n' });
    await d.image.call("PullImage", { image: { image: images.busybox } }, 60_000);
  }, 120_000);

  afterAll(async () => {
    try {
      if (d) await removePodsAndStop(d);
    } finally {
      undoNetwork();
      await reg?.stop();
      if (d) fs.rmSync(d.dir, { recursive: true, force: true });
      if (logs) fs.rmSync(path.dirname(logs), { recursive: true, force: true });
    }
  }, 120_000);

  test("Status reports the network ready once a CNI config is loaded", async () => {
    const s = await call("Status", {});
    const net = s.status.conditions.find((c: any) => c.type === "NetworkReady");
    expect(net.status).toBe(true);
  });

  test("a pod runs, gets an IP from the bridge and is listed with its labels", async () => {
    const id = await runPod("web");
    const s = await call("PodSandboxStatus", { pod_sandbox_id: id, verbose: true });
    expect(s.status.state).toBe("SANDBOX_READY");
    expect(s.status.network.ip).toStartWith(TEST_SUBNET.replace(/0\/24$/, ""));
    expect(s.status.runtime_handler).toBe("");
    expect(JSON.parse(s.info.info).runtimeHandler).toBe("runc");
    // Kubelet-shaped (each container its own PID namespace): no infra process, no spec of one.
    expect(JSON.parse(s.info.info).infra).toBe(false);
    expect(JSON.parse(s.info.info).runtimeSpec).toBeUndefined();
    const listed = await call("ListPodSandbox", { filter: { label_selector: { app: "web" } } });
    expect(listed.items.map((p: any) => p.id)).toEqual([id]);
    const byPrefix = await call("ListPodSandbox", { filter: { id: id.slice(0, 12) } });
    expect(byPrefix.items.length).toBe(1);
    for (const kind of ["net", "uts", "ipc"]) expect(fs.existsSync(path.join(d.state, "ns", kind, id))).toBe(true);
  });

  test("the metrics time the runtime and CNI calls behind a pod start", async () => {
    const pod = await runPod("metered");
    await runContainer(pod, "sleeper", "sleep 1000");
    // Only a pod sharing one PID namespace runs an infra process (`runc run`).
    await runPod("metered-shared", SHARED_PID);
    const url = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(d.output())?.[1];
    expect(url).toBeDefined();
    const text = await (await fetch(url!)).text();
    const count = (command: string, verb: string) => Number(new RegExp(`^skiff_exec_seconds_count\\{command="${command}",verb="${verb}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    for (const verb of ["run", "create", "start"]) expect(count("runc", verb)).toBeGreaterThanOrEqual(1);
    expect(count("cni:bridge", "ADD")).toBeGreaterThanOrEqual(1);
    // Neither pod maps a host port, so portmap (which would do nothing) is not run.
    expect(count("cni:portmap", "ADD")).toBe(0);
    expect(count("cni:loopback", "ADD")).toBe(0);
  });

  test("container and pod stats: CPU and memory from the cgroups while running, the writable layer always, the pod's network", async () => {
    const pod = await runPod("stats");
    // 24 MiB of tmpfs pages are charged to the writer's memory cgroup as working set.
    const busy = await runContainer(pod, "busy", "head -c 25165824 /dev/zero > /dev/shm/fill; head -c 1048576 /dev/zero > /layer.bin; echo ready; sleep 1000");
    await waitFor("the container to fill its memory", async () => ((await logOf(busy)).includes("ready") ? true : undefined));
    const one = (await call("ContainerStats", { container_id: busy })).stats;
    expect(one.attributes.id).toBe(busy);
    expect(one.attributes.metadata.name).toBe("busy");
    expect(one.attributes.labels).toEqual({ c: "busy" });
    expect(Number(one.cpu.usage_core_nano_seconds.value)).toBeGreaterThan(0);
    expect(Number(one.memory.working_set_bytes.value)).toBeGreaterThanOrEqual(24 * 1024 * 1024);
    expect(Number(one.memory.usage_bytes.value)).toBeGreaterThanOrEqual(Number(one.memory.working_set_bytes.value));
    expect(Number(one.writable_layer.used_bytes.value)).toBeGreaterThanOrEqual(1024 * 1024);
    expect(Number(one.writable_layer.inodes_used.value)).toBeGreaterThanOrEqual(2);
    expect(one.writable_layer.fs_id.mountpoint).toBe(d.root);

    const done = await runContainer(pod, "done", "exit 0");
    await exitedStatus(done);
    const list = (await call("ListContainerStats", { filter: { pod_sandbox_id: pod } })).stats;
    expect(list.map((x: any) => x.attributes.id).sort()).toEqual([busy, done].sort());
    const stopped = list.find((x: any) => x.attributes.id === done);
    expect(stopped.cpu).toBeNull();
    expect(stopped.memory).toBeNull();
    expect(stopped.writable_layer).not.toBeNull();
    expect((await call("ListContainerStats", { filter: { label_selector: { c: "busy" } } })).stats.map((x: any) => x.attributes.id)).toEqual([busy]);

    // Some traffic on eth0 for the network figures.
    expect((await call("ExecSync", { container_id: busy, cmd: ["ping", "-c", "2", "-W", "3", TEST_GATEWAY], timeout: 10 })).exit_code).toBe(0);
    const podStats = (await call("PodSandboxStats", { pod_sandbox_id: pod })).stats;
    expect(podStats.attributes.id).toBe(pod);
    expect(podStats.attributes.metadata.name).toBe("stats");
    const linux = podStats.linux;
    expect(Number(linux.cpu.usage_core_nano_seconds.value)).toBeGreaterThanOrEqual(Number(one.cpu.usage_core_nano_seconds.value));
    expect(Number(linux.memory.working_set_bytes.value)).toBeGreaterThanOrEqual(24 * 1024 * 1024);
    // busy's sleep (its shell exec'd it); a kubelet-shaped pod has no infra process
    expect(Number(linux.process.process_count.value)).toBeGreaterThanOrEqual(1);
    expect(linux.network.default_interface.name).toBe("eth0");
    expect(Number(linux.network.default_interface.rx_bytes.value)).toBeGreaterThan(0);
    expect(Number(linux.network.default_interface.tx_bytes.value)).toBeGreaterThan(0);
    expect(linux.network.interfaces.map((i: any) => i.name)).not.toContain("lo");
    expect(linux.containers.map((c: any) => c.attributes.id).sort()).toEqual([busy, done].sort());
    // PodSandboxStatus carries the containers' statuses too, for the kubelet's evented PLEG.
    const st = await call("PodSandboxStatus", { pod_sandbox_id: pod });
    const byId = Object.fromEntries(st.containers_statuses.map((c: any) => [c.id, c.state]));
    expect(byId).toEqual({ [busy]: "CONTAINER_RUNNING", [done]: "CONTAINER_EXITED" });
    expect(Number(st.timestamp)).toBeGreaterThan(0);
    const listed = (await call("ListPodSandboxStats", { filter: { id: pod } })).stats;
    expect(listed.map((x: any) => x.attributes.id)).toEqual([pod]);
    expect((await codeOf(call("PodSandboxStats", { pod_sandbox_id: "no-such-pod" }))).code).toBe(GrpcStatus.NOT_FOUND);

    expect((await codeOf(call("ContainerStats", { container_id: "no-such-container" }))).code).toBe(GrpcStatus.NOT_FOUND);
    expect((await codeOf(call("ContainerStats", { container_id: "" }))).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test("GetContainerEvents streams each pod's and container's lifecycle, with the statuses at the time", async () => {
    const got: any[] = [];
    const stream = (d.runtime.raw as any).GetContainerEvents({});
    stream.on("data", (e: any) => got.push(e));
    stream.on("error", () => {}); // the cancel below ends it with CANCELLED
    await Bun.sleep(200); // the server subscribes when the stream opens
    const pod = await runPod("evented");
    const ctr = await runContainer(pod, "short", "exit 0");
    await exitedStatus(ctr);
    await call("RemoveContainer", { container_id: ctr });
    await call("StopPodSandbox", { pod_sandbox_id: pod });
    await call("RemovePodSandbox", { pod_sandbox_id: pod });
    const seen = await waitFor("the pod's deleted event", async () =>
      got.some((e) => e.container_id === pod && e.container_event_type === "CONTAINER_DELETED_EVENT") ? got : undefined,
    );
    stream.cancel();
    const mine = seen.filter((e) => e.container_id === pod || e.container_id === ctr).map((e) => `${e.container_id === pod ? "pod" : "ctr"} ${e.container_event_type}`);
    expect(mine).toEqual([
      "pod CONTAINER_CREATED_EVENT",
      "pod CONTAINER_STARTED_EVENT",
      "ctr CONTAINER_CREATED_EVENT",
      "ctr CONTAINER_STARTED_EVENT",
      "ctr CONTAINER_STOPPED_EVENT",
      "ctr CONTAINER_DELETED_EVENT",
      "pod CONTAINER_STOPPED_EVENT",
      "pod CONTAINER_DELETED_EVENT",
    ]);
    const started = seen.find((e) => e.container_id === ctr && e.container_event_type === "CONTAINER_STARTED_EVENT");
    expect(started.pod_sandbox_status.id).toBe(pod);
    expect(started.containers_statuses.map((c: any) => c.id)).toEqual([ctr]);
    expect(Number(started.created_at)).toBeGreaterThan(0);
    const deleted = seen.find((e) => e.container_id === pod && e.container_event_type === "CONTAINER_DELETED_EVENT");
    expect(deleted.pod_sandbox_status).toBeNull();
  });

  test("a second pod with the same name, namespace, uid and attempt is refused", async () => {
    const config = podConfig("twin", path.join(logs, "twin"));
    await call("RunPodSandbox", { config });
    const err = await codeOf(call("RunPodSandbox", { config }));
    expect(err.code).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(err.details).toContain("twin");
  });

  test("a container's output lands in its log file in the CRI format, and its exit code and reason are kept", async () => {
    const pod = await runPod("logger");
    const id = await runContainer(pod, "talk", "echo hello; echo oops >&2; exit 3");
    const s = await exitedStatus(id);
    expect(s.exit_code).toBe(3);
    expect(s.reason).toBe("Error");
    // As bigints: the two can be 1 ns apart (an exit file older than the start), which a float loses.
    expect(BigInt(s.finished_at)).toBeGreaterThan(BigInt(s.started_at));
    expect(s.log_path).toBe(path.join(logs, "logger", "talk/0.log"));
    const text = fs.readFileSync(s.log_path, "utf8");
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d) stdout F hello$/m);
    expect(text).toMatch(/ stderr F oops$/m);
  });

  test("a container that exits 0 is Completed", async () => {
    const pod = await runPod("done");
    const s = await exitedStatus(await runContainer(pod, "ok", "true"));
    expect(s.exit_code).toBe(0);
    expect(s.reason).toBe("Completed");
  });

  test("two pods on the bridge reach each other by IP, each reaches itself on lo, and ExecSync returns output and exit codes", async () => {
    const a = await runPod("ping-a");
    const b = await runPod("ping-b");
    const ca = await runContainer(a, "sleeper", "sleep 1000");
    const ipB = (await call("PodSandboxStatus", { pod_sandbox_id: b })).status.network.ip;
    const ping = await call("ExecSync", { container_id: ca, cmd: ["ping", "-c", "1", "-W", "3", ipB], timeout: 10 });
    expect(ping.exit_code).toBe(0);
    expect(Buffer.from(ping.stdout).toString()).toContain("1 packets received");
    // lo is up in the pod (skiff sets it up when it makes the network namespace).
    const lo = await call("ExecSync", { container_id: ca, cmd: ["ping", "-c", "1", "-W", "3", "127.0.0.1"], timeout: 10 });
    expect(lo.exit_code).toBe(0);
    const fail = await call("ExecSync", { container_id: ca, cmd: ["sh", "-c", "echo out; echo err >&2; exit 7"], timeout: 10 });
    expect(fail.exit_code).toBe(7);
    expect(Buffer.from(fail.stdout).toString()).toBe("out\n");
    expect(Buffer.from(fail.stderr).toString()).toBe("err\n");
  });

  test("security context reaches the process: RuntimeDefault seccomp, run_as_user, dropped capabilities, read-only rootfs", async () => {
    const pod = await runPod("confined");
    const id = await runContainer(pod, "locked", "sleep 1000", {
      linux: {
        security_context: {
          seccomp: { profile_type: "RuntimeDefault" },
          run_as_user: { value: 1234 },
          capabilities: { drop_capabilities: ["ALL"] },
          readonly_rootfs: true,
        },
      },
    });
    const run = async (script: string) => {
      const r = await call("ExecSync", { container_id: id, cmd: ["sh", "-c", script], timeout: 10 });
      return { code: r.exit_code, out: Buffer.from(r.stdout).toString().trim() };
    };
    expect((await run("grep Seccomp: /proc/self/status")).out).toMatch(/Seccomp:\s+2/);
    expect((await run("id -u")).out).toBe("1234");
    expect((await statusOf(id)).user.linux.uid).toBe("1234");
    expect((await run("grep CapEff: /proc/self/status")).out).toMatch(/CapEff:\s+0+$/);
    expect((await run("touch /newfile")).code).not.toBe(0);
    // The pod's files are mounted in and /dev/shm is the pod's.
    expect((await run("cat /etc/hostname")).out).toBe("confined");
    expect((await run("grep -c ' /dev/shm ' /proc/mounts")).out).toBe("1");
  });

  test("ExecSync past its timeout is killed and answers DeadlineExceeded", async () => {
    const pod = await runPod("slow");
    const c = await runContainer(pod, "sleeper", "sleep 1000");
    const t0 = Date.now();
    const err = await codeOf(call("ExecSync", { container_id: c, cmd: ["sleep", "30"], timeout: 1 }));
    expect(err.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test("a hostPort is reachable from the host", async () => {
    const pod = await runPod("served", { port_mappings: [{ protocol: "TCP", container_port: 8080, host_port: TEST_HOST_PORT }] });
    await runContainer(pod, "httpd", "mkdir -p /www && echo served-by-skiff > /www/index.html && httpd -f -p 8080 -h /www");
    const body = await waitFor("the hostPort to answer", async () => {
      try {
        const r = await fetch(`http://${TEST_GATEWAY}:${TEST_HOST_PORT}/index.html`, { signal: AbortSignal.timeout(2000) });
        return await r.text();
      } catch {
        return undefined;
      }
    });
    expect(body).toBe("served-by-skiff\n");
  });

  test("a container over its memory limit is OOMKilled", async () => {
    const pod = await runPod("hungry");
    const id = await runContainer(pod, "eat", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived", {
      linux: { resources: { memory_limit_in_bytes: 16 * 1024 * 1024 } },
    });
    const s = await exitedStatus(id);
    expect(s.reason).toBe("OOMKilled");
    // conmon writes an "oom" marker relative to its working dir: never skiff's own.
    expect(fs.existsSync(path.join(process.cwd(), "oom"))).toBe(false);
  });

  test("UpdateContainerResources changes a running container's memory limit and ContainerStatus reports it", async () => {
    const pod = await runPod("resize");
    const id = await runContainer(pod, "sleeper", "sleep 1000", { linux: { resources: { memory_limit_in_bytes: 64 * 1024 * 1024 } } });
    await call("UpdateContainerResources", { container_id: id, linux: { memory_limit_in_bytes: 96 * 1024 * 1024 } });
    expect(Number((await statusOf(id)).resources.linux.memory_limit_in_bytes)).toBe(96 * 1024 * 1024);
    const limit = await call("ExecSync", { container_id: id, cmd: ["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"], timeout: 10 });
    expect(limit.exit_code).toBe(0);
    expect(Buffer.from(limit.stdout).toString().trim()).toBe(String(96 * 1024 * 1024));
    const bad = await codeOf(call("UpdateContainerResources", { container_id: id, linux: { cpu_shares: -4 } }));
    expect(bad.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(bad.details).toContain("linux.cpu_shares");
    expect((await codeOf(call("UpdateContainerResources", { container_id: "feedfacefeed", linux: {} }))).code).toBe(GrpcStatus.NOT_FOUND);
  });

  test("UpdatePodSandboxResources keeps the pod-level figures the kubelet reports, and refuses bad ones", async () => {
    const pod = await runPod("resized");
    const resources = { cpu_shares: 512, memory_limit_in_bytes: 256 * 1024 * 1024 };
    await call("UpdatePodSandboxResources", { pod_sandbox_id: pod, resources, overhead: { cpu_shares: 8 } });
    const info = JSON.parse((await call("PodSandboxStatus", { pod_sandbox_id: pod, verbose: true })).info.info);
    expect(info.config.linux.resources).toMatchObject({ cpuShares: "512", memoryLimitInBytes: "268435456" });
    expect(info.config.linux.overhead).toMatchObject({ cpuShares: "8" });
    const neg = await codeOf(call("UpdatePodSandboxResources", { pod_sandbox_id: pod, resources: { cpu_shares: -1 } }));
    expect(neg.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(neg.details).toContain("resources.cpu_shares");
    expect((await codeOf(call("UpdatePodSandboxResources", { pod_sandbox_id: "no-such-pod" }))).code).toBe(GrpcStatus.NOT_FOUND);
    expect((await codeOf(call("UpdatePodSandboxResources", { pod_sandbox_id: "" }))).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  test("ReopenContainerLog starts a new log file after the old one was renamed away", async () => {
    const pod = await runPod("rotated");
    const id = await runContainer(pod, "ticker", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done");
    const logPath = (await statusOf(id)).log_path;
    await waitFor("first lines", async () => (fs.existsSync(logPath) && fs.readFileSync(logPath, "utf8").includes("tick 2") ? true : undefined));
    fs.renameSync(logPath, `${logPath}.1`);
    await call("ReopenContainerLog", { container_id: id });
    const fresh = await waitFor("lines in the new file", async () => {
      const text = fs.existsSync(logPath) ? fs.readFileSync(logPath, "utf8") : "";
      return / stdout F tick \d+$/m.test(text) ? text : undefined;
    });
    expect(fresh).not.toContain(" tick 1\n");
    expect(fs.readFileSync(`${logPath}.1`, "utf8")).toContain(" stdout F tick 1\n");
    await call("StopContainer", { container_id: id, timeout: 0 });
    const err = await codeOf(call("ReopenContainerLog", { container_id: id }));
    expect(err.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  });

  test("StopContainer with a timeout kills a process that ignores SIGTERM; Stop and Remove are idempotent", async () => {
    const pod = await runPod("stubborn");
    const id = await runContainer(pod, "ignore", "trap '' TERM; sleep 1000 & wait");
    await call("StopContainer", { container_id: id, timeout: 1 });
    const s = await statusOf(id);
    expect(s.state).toBe("CONTAINER_EXITED");
    expect(s.exit_code).toBe(137);
    await call("StopContainer", { container_id: id, timeout: 1 });
    await call("RemoveContainer", { container_id: id });
    await call("RemoveContainer", { container_id: id });
    await call("StopContainer", { container_id: "0123456789abcdef", timeout: 1 });
    expect((await codeOf(statusOf(id))).code).toBe(GrpcStatus.NOT_FOUND);
  });

  test("ten pods started and removed at once all work and leave nothing behind, as a kubelet starting a node's pods would", async () => {
    const before = hostTraces();
    const ids = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const pod = await runPod(`burst-${i}`);
        const c = await runContainer(pod, "sleeper", "sleep 1000");
        return { pod, c };
      }),
    );
    const ips = new Set<string>();
    for (const { pod, c } of ids) {
      ips.add((await call("PodSandboxStatus", { pod_sandbox_id: pod })).status.network.ip);
      expect((await statusOf(c)).state).toBe("CONTAINER_RUNNING");
    }
    expect(ips.size).toBe(10);
    await Promise.all(ids.map(({ pod }) => call("RemovePodSandbox", { pod_sandbox_id: pod })));
    expect(hostTraces()).toEqual(before);
  }, 60_000);

  test("stopping and removing a pod leaves no pin, mount, dir, runtime state or row behind", async () => {
    const id = await runPod("gone");
    const c = await runContainer(id, "sleeper", "sleep 1000");
    await call("StopPodSandbox", { pod_sandbox_id: id });
    expect((await call("PodSandboxStatus", { pod_sandbox_id: id })).status.state).toBe("SANDBOX_NOTREADY");
    expect((await statusOf(c)).state).toBe("CONTAINER_EXITED");
    await call("StopPodSandbox", { pod_sandbox_id: id });
    await call("RemovePodSandbox", { pod_sandbox_id: id });
    await call("RemovePodSandbox", { pod_sandbox_id: id });
    expect((await codeOf(call("PodSandboxStatus", { pod_sandbox_id: id }))).code).toBe(GrpcStatus.NOT_FOUND);
    expect((await call("ListContainers", { filter: { pod_sandbox_id: id } })).containers ?? []).toEqual([]);
    for (const kind of ["net", "uts", "ipc"]) expect(fs.existsSync(path.join(d.state, "ns", kind, id))).toBe(false);
    expect(mountsUnder(path.join(d.state, "sandboxes", id))).toEqual([]);
    expect(mountsUnder(path.join(d.state, "containers", c))).toEqual([]);
    expect(fs.existsSync(path.join(d.state, "sandboxes", id))).toBe(false);
    expect(fs.existsSync(path.join(d.root, "sandboxes", id))).toBe(false);
    expect(fs.existsSync(path.join(d.root, "containers", c))).toBe(false);
    const runcList = Bun.spawnSync(["runc", "--root", path.join(d.state, "runtime", "runc"), "list", "-q"]).stdout.toString();
    expect(runcList).not.toContain(id);
    expect(runcList).not.toContain(c);
  });

  /** Everything a pod or container leaves on the host, to compare before and after a failure. */
  function hostTraces(): string[] {
    const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).map((e) => `${dir}/${e}`) : []);
    const ipam = path.join(path.dirname(logs), "ipam", "skiff-test");
    return [
      ...["net", "uts", "ipc"].flatMap((k) => list(path.join(d.state, "ns", k))),
      ...list(path.join(d.state, "sandboxes")),
      ...list(path.join(d.root, "sandboxes")),
      ...list(path.join(d.state, "containers")),
      ...list(path.join(d.root, "containers")),
      // host-local's allocations are files named by IP; its lock and cursor files stay.
      ...list(ipam).filter((f) => /\/[0-9.]+$/.test(f)),
      // Every skiff on this host (other test runs too) shares these parents: count only the
      // cgroups of containers this daemon ran (it logs each runtime call with the id).
      ...[...list("/sys/fs/cgroup/memory/skiff"), ...list("/sys/fs/cgroup/skiff")].filter((c) => (earlierOutput + d.output()).includes(path.basename(c))),
      ...mountsUnder(d.dir),
    ].sort();
  }

  test("a pod whose runtime fails for real leaves no pin, mount, dir, IP, cgroup or row behind", async () => {
    const before = hostTraces();
    const rows = (await call("ListPodSandbox", {})).items.length;
    // crun refuses hybrid cgroup hosts such as CI's; where it runs, the pod must simply work.
    const r = await call("RunPodSandbox", { config: podConfig("crun-pod", path.join(logs, "crun-pod")), runtime_handler: "crun" }).then(
      (ok) => ({ ok }),
      (err) => ({ err }),
    );
    if ("ok" in r) {
      expect((await call("PodSandboxStatus", { pod_sandbox_id: r.ok.pod_sandbox_id })).status.state).toBe("SANDBOX_READY");
      await call("RemovePodSandbox", { pod_sandbox_id: r.ok.pod_sandbox_id });
    } else {
      expect([GrpcStatus.UNKNOWN, GrpcStatus.INTERNAL, GrpcStatus.FAILED_PRECONDITION]).toContain(r.err.code);
      console.log(`crun on this host: ${r.err.details}`);
      expect(r.err.details).toMatch(/crun/);
    }
    expect(hostTraces()).toEqual(before);
    expect((await call("ListPodSandbox", {})).items.length).toBe(rows);
  });

  test("a container whose command does not exist fails to create and leaves nothing behind", async () => {
    const pod = await runPod("nocmd");
    const before = hostTraces();
    const config = { ...containerConfig("ghost", images.busybox, "true"), command: ["/no/such/binary"] };
    const err = await codeOf(call("CreateContainer", { pod_sandbox_id: pod, config }));
    expect(err.details).toContain("/no/such/binary");
    expect(hostTraces()).toEqual(before);
    expect((await call("ListContainers", { filter: { pod_sandbox_id: pod } })).containers ?? []).toEqual([]);
  });

  test("kill -9 of skiff leaves pods running, and a restart finds them with the right state", async () => {
    const pod = await runPod("survivor");
    const running = await runContainer(pod, "sleeper", "sleep 1000");
    const quick = await runContainer(pod, "quick", "sleep 2; exit 4");
    earlierOutput += d.output();
    await d.kill();
    await Bun.sleep(3000);
    d = await startDaemon({ reuseDir: d.dir });
    expect((await call("PodSandboxStatus", { pod_sandbox_id: pod })).status.state).toBe("SANDBOX_READY");
    expect((await statusOf(running)).state).toBe("CONTAINER_RUNNING");
    const q = await statusOf(quick);
    expect(q.state).toBe("CONTAINER_EXITED");
    expect(q.exit_code).toBe(4);
    const r = await call("ExecSync", { container_id: running, cmd: ["echo", "still here"], timeout: 10 });
    // Recovery ran CNI CHECK on the pod's network, and it passed (no host ports here).
    await waitFor("the network check after the restart", async () => (d.output().includes(`network check of sandbox "${pod}" ok`) ? true : undefined));
    expect(Buffer.from(r.stdout).toString()).toBe("still here\n");
  }, 60_000);

  test("kill -9 in the middle of RunPodSandbox, CreateContainer or RemovePodSandbox: the restart undoes or finishes it and leaves nothing behind", async () => {
    const restart = async () => {
      earlierOutput += d.output();
      await d.kill();
      // At once: the runtime and plugin processes skiff started may still be at work,
      // and recovery must wait for them before it undoes anything (stragglers.ts).
      d = await startDaemon({ reuseDir: d.dir });
    };
    const runcState = () => Bun.spawnSync(["runc", "--root", path.join(d.state, "runtime", "runc"), "list", "-q"]).stdout.toString().split("\n").filter(Boolean).sort();
    // Both kinds of pod: with no infra process (kubelet-shaped) and with one (a shared PID namespace).
    for (const [delayMs, shape] of [3, 15, 30].flatMap((ms) => [[ms, {}], [ms, SHARED_PID]] as const)) {
      const before = hostTraces();
      const runcBefore = runcState();
      const name = `cut-${delayMs}-${shape === SHARED_PID ? "infra" : "bare"}`;
      const inFlight = call("RunPodSandbox", { config: podConfig(name, path.join(logs, name), shape) }).catch(() => undefined);
      await Bun.sleep(delayMs);
      await restart();
      await inFlight;
      const pods = (await call("ListPodSandbox", {})).items.filter((p: any) => p.metadata.name === name);
      // Either the pod was made before the kill and is ready, or it is gone without a trace.
      if (pods.length === 1) {
        expect(pods[0].state).toBe("SANDBOX_READY");
        await call("RemovePodSandbox", { pod_sandbox_id: pods[0].id });
      }
      expect(pods.length).toBeLessThanOrEqual(1);
      expect(hostTraces()).toEqual(before);
      expect(runcState()).toEqual(runcBefore);
    }
    const pod = await runPod("cut-ctr");
    for (const delayMs of [3, 20]) {
      const before = hostTraces();
      const name = `half-${delayMs}`;
      const sandboxConfig = podConfig("cut-ctr", path.join(logs, "cut-ctr"));
      const inFlight = call("CreateContainer", { pod_sandbox_id: pod, config: containerConfig(name, images.busybox, "sleep 1000"), sandbox_config: sandboxConfig }).catch(() => undefined);
      await Bun.sleep(delayMs);
      await restart();
      await inFlight;
      const left = (await call("ListContainers", { filter: { pod_sandbox_id: pod } })).containers.filter((c: any) => c.metadata.name === name);
      if (left.length === 1) await call("RemoveContainer", { container_id: left[0].id });
      expect(hostTraces()).toEqual(before);
      expect((await call("PodSandboxStatus", { pod_sandbox_id: pod })).status.state).toBe("SANDBOX_READY");
    }
    await call("RemovePodSandbox", { pod_sandbox_id: pod });

    // RemovePodSandbox cut short: the restart finishes it (or the pod is still whole).
    for (const delayMs of [10, 40]) {
      const before = hostTraces();
      const doomed = await runPod(`doomed-${delayMs}`);
      await runContainer(doomed, "sleeper", "sleep 1000");
      const inFlight = call("RemovePodSandbox", { pod_sandbox_id: doomed }).catch(() => undefined);
      await Bun.sleep(delayMs);
      await restart();
      await inFlight;
      const still = (await call("ListPodSandbox", {})).items.filter((p: any) => p.id === doomed);
      if (still.length === 1) await call("RemovePodSandbox", { pod_sandbox_id: doomed });
      expect((await call("ListContainers", { filter: { pod_sandbox_id: doomed } })).containers).toEqual([]);
      expect(hostTraces()).toEqual(before);
    }
  }, 120_000);

  test("bad requests get InvalidArgument or NotFound naming the field, and create nothing", async () => {
    const before = (await call("ListPodSandbox", {})).items.length;
    const cases: [string, object, number, string][] = [
      ["RunPodSandbox", { config: { metadata: { name: "", namespace: "n", uid: "u" } } }, GrpcStatus.INVALID_ARGUMENT, "config.metadata.name"],
      ["RunPodSandbox", { config: { metadata: { name: "a/b", namespace: "n", uid: "u" } } }, GrpcStatus.INVALID_ARGUMENT, "config.metadata.name"],
      ["RunPodSandbox", { config: podConfig("h", "/tmp/x"), runtime_handler: "nosuch" }, GrpcStatus.INVALID_ARGUMENT, "runtime_handler"],
      ["RunPodSandbox", { config: podConfig("l", "relative/logs") }, GrpcStatus.INVALID_ARGUMENT, "config.log_directory"],
    ];
    for (const [method, req, code, field] of cases) {
      const err = await codeOf(call(method, req));
      expect(err.code).toBe(code);
      expect(err.details).toContain(field);
    }
    expect((await call("ListPodSandbox", {})).items.length).toBe(before);

    const pod = await runPod("strict");
    const containersBefore = (await call("ListContainers", {})).containers.length;
    const dangling = path.join(logs, "dangling-link");
    fs.mkdirSync(logs, { recursive: true });
    fs.rmSync(dangling, { force: true });
    fs.symlinkSync("/nonexistent/skiff-test", dangling);
    const bad: [object, number, string][] = [
      [containerConfig("trav", images.busybox, "true", { log_path: "../../etc/x.log" }), GrpcStatus.INVALID_ARGUMENT, "config.log_path"],
      [containerConfig("noimg", "127.0.0.1:1/missing:1", "true"), GrpcStatus.NOT_FOUND, "missing"],
      [containerConfig("mnt", images.busybox, "true", { mounts: [{ container_path: "/data", host_path: dangling }] }), GrpcStatus.INVALID_ARGUMENT, "config.mounts[0].host_path"],
      [containerConfig("rel", images.busybox, "true", { mounts: [{ container_path: "data", host_path: "/tmp" }] }), GrpcStatus.INVALID_ARGUMENT, "config.mounts[0].container_path"],
      [containerConfig("neg", images.busybox, "true", { linux: { resources: { cpu_shares: -1 } } }), GrpcStatus.INVALID_ARGUMENT, "config.linux.resources.cpu_shares"],
    ];
    for (const [config, code, field] of bad) {
      const err = await codeOf(call("CreateContainer", { pod_sandbox_id: pod, config }));
      expect(err.code).toBe(code);
      expect(err.details).toContain(field);
    }
    expect((await codeOf(call("CreateContainer", { pod_sandbox_id: "ffffffffffff", config: containerConfig("x", images.busybox, "true") }))).code).toBe(GrpcStatus.NOT_FOUND);
    expect((await call("ListContainers", {})).containers.length).toBe(containersBefore);
    expect(fs.readdirSync(path.join(d.state, "containers")).length).toBe(containersBefore);
  });
});
