/**
 * Windows pods through the CRI socket (grpc-js), with skiff in its Windows test mode: a
 * Windows image pulled from the loopback registry (picked from an index by os.version,
 * its Files/ and Hives/ layers imported through the layer API), then the whole pod and
 * container life cycle, checking every HCS, layer and HNS call the fake host recorded,
 * in order, with the documents they carried.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { fakeLayerGuid, fakeVolumePath } from "../../../src/platform/fake/fake-layers.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { runCli, skiffBinary } from "../harness.ts";
import { pushWindowsImages, startWindowsDaemon, type WindowsDaemon } from "./windows-fixture.ts";
import { type Call, podConfig, shape } from "./windows-calls.ts";

let reg: TestRegistry;
let d: WindowsDaemon;
let app: string;
let pause: string;

beforeAll(async () => {
  reg = await startRegistry();
  await pushWindowsImages(reg);
  app = `${reg.host}/win/app:1`;
  pause = `${reg.host}/win/pause:1`;
  d = await startWindowsDaemon(reg);
});
afterAll(async () => {
  await d?.stop();
  await reg?.stop();
});

const owner = () => path.basename(skiffBinary());
const waitKill = {
  AddValues: [{ Key: { Hive: "System", Name: "ControlSet001\\Control" }, Name: "WaitToKillServiceTimeout", Type: "String", StringValue: "2147483647" }],
};

/** The schema 2.1 document of an Argon container `id` on the image's two layers and its own scratch, plus `container`. */
function computeSystem(id: string, container: object) {
  return {
    Owner: owner(),
    SchemaVersion: { Major: 2, Minor: 1 },
    ShouldTerminateOnLastHandleClosed: true,
    Container: {
      GuestOs: { HostName: "iis-host" },
      Storage: {
        Layers: imageLayers.map((l) => ({ Id: fakeLayerGuid(path.basename(l)), Path: l.replace("<root>", d.root) })),
        Path: fakeVolumePath(path.join(d.root, "scratch", id)),
      },
      ...container,
      RegistryChanges: waitKill,
    },
  };
}
let imageLayers: string[] = [];

const STATS_QUERY = '{"PropertyTypes":["Statistics","ProcessList"]}';
type Value = { value: string };
type WindowsPodStats = {
  cpu: { usage_core_nano_seconds: Value; usage_nano_cores: Value };
  memory: { working_set_bytes: Value; commit_memory_bytes: Value };
  process: { process_count: Value };
  network: { default_interface: unknown; interfaces: unknown[] };
  containers: {
    attributes: { id: string };
    cpu: { usage_core_nano_seconds: Value };
    memory: { working_set_bytes: Value; commit_memory_bytes: Value };
    writable_layer: { fs_id: { mountpoint: string } };
  }[];
};

describe("a Windows pod over the fake HCS", () => {
  let pod = "";
  let ctr = "";
  let ns = "";
  let layers: string[] = [];
  let mark = 0;
  /** The calls since the last look, in the test's shorthand. */
  const next = (): Call[] => {
    const all = d.calls();
    const out = all.slice(mark).map((c) => shape(c, d.root, { pod, ctr }));
    mark = all.length;
    return out;
  };

  test("the image is picked by os.version from the index, and its layers imported base first", async () => {
    const res = await d.image.call<{ image_ref: string }>("PullImage", { image: { image: app } });
    const status = await d.image.call<{ info: Record<string, string> }>("ImageStatus", { image: { image: app }, verbose: true });
    // The index also holds a Linux image and one for Windows Server 2019 (17763): not these.
    expect(status.info.info).toContain('"os.version":"10.0.20348.2340"');
    expect(status.info.info).not.toContain("10.0.17763");
    expect(res.image_ref).toContain("sha256:");
    const calls = next();
    expect(calls.map((c) => c[0])).toEqual(["ProcessBaseImage", "ProcessUtilityImage", "ImportLayer"]);
    const [base, top] = [calls[0]![1] as string, calls[2]![1] as string];
    expect(calls[1]).toEqual(["ProcessUtilityImage", `${base}/UtilityVM`]);
    expect(calls[2]).toEqual(["ImportLayer", top, "<staged>", [base]]);
    layers = [top, base];
    imageLayers = layers;
    await d.image.call("PullImage", { image: { image: pause } });
    expect(next()).toEqual([]); // the same layers: nothing to import again
  });

  test("RunPodSandbox: a namespace, CNI in it, a scratch, the pause container and its process", async () => {
    const res = await d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: podConfig(d.dir) }, 30_000);
    pod = res.pod_sandbox_id;
    const calls = next();
    ns = (JSON.parse((calls.find((c) => c[0] === "HNSCall") ?? [])[4] as string ?? "{}") as { ns?: string }).ns ?? "";
    ns = d.cniCalls()[0]?.split(" ")[2] ?? "";
    expect(ns).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.cniCalls()).toEqual([`ADD ${pod} ${ns} eth0`]);
    const scratch = "<root>/scratch/<pod>";
    expect(calls).toEqual([
      ["HNSCall", "POST", "/namespaces/", "{}"],
      ["CreateSandboxLayer", scratch, layers],
      ["ActivateLayer", scratch],
      ["PrepareLayer", scratch, layers],
      ["GetLayerMountPath", scratch],
      ["NameToGuid", path.basename(layers[0]!)],
      ["NameToGuid", path.basename(layers[1]!)],
      ["HcsCreateComputeSystem", "<pod>", computeSystem(pod, { Processor: { Weight: 2 }, Networking: { Namespace: ns } })],
      ["HcsStartComputeSystem", "<pod>", ""],
      [
        "HcsCreateProcess",
        "<pod>",
        {
          CommandLine: "C:\\pause.exe",
          User: "ContainerUser",
          WorkingDirectory: "C:\\",
          Environment: { PATH: "C:\\Windows\\system32;C:\\Windows" },
          CreateStdOutPipe: true,
          CreateStdErrPipe: true,
        },
      ],
    ]);
    const status = await d.runtime.call<{ status: { state: string; network: { ip: string } } }>("PodSandboxStatus", { pod_sandbox_id: pod });
    expect(status.status.state).toBe("SANDBOX_READY");
    expect(status.status.network.ip).toBe("10.99.0.5");
  });

  test("CreateContainer: a scratch of the asked size, the document with the pod's namespace, mounts, pipes and limits", async () => {
    const data = path.join(d.dir, "data");
    const res = await d.runtime.call<{ container_id: string }>("CreateContainer", {
      pod_sandbox_id: pod,
      config: {
        metadata: { name: "site" },
        image: { image: app },
        command: ["cmd", "/c", "echo hello from windows & timeout /t 600"],
        envs: [{ key: "MODE", value: Buffer.from("prod") }],
        working_dir: "C:\\app",
        log_path: "site_0.log",
        mounts: [
          { container_path: "C:\\data", host_path: data, readonly: true },
          { container_path: "\\\\.\\pipe\\docker_engine", host_path: "\\\\.\\pipe\\docker_engine" },
        ],
        windows: { resources: { cpu_count: 2, memory_limit_in_bytes: 268435456, rootfs_size_in_bytes: 42949672960 } },
      },
      sandbox_config: podConfig(d.dir),
    });
    ctr = res.container_id;
    const scratch = "<root>/scratch/<ctr>";
    expect(next()).toEqual([
      ["CreateSandboxLayer", scratch, layers],
      ["ExpandSandboxSize", scratch, 42949672960],
      ["ActivateLayer", scratch],
      ["PrepareLayer", scratch, layers],
      ["GetLayerMountPath", scratch],
      ["NameToGuid", path.basename(layers[0]!)],
      ["NameToGuid", path.basename(layers[1]!)],
      [
        "HcsCreateComputeSystem",
        "<ctr>",
        computeSystem(ctr, {
          MappedDirectories: [{ HostPath: fs.realpathSync(data), ContainerPath: "C:\\data", ReadOnly: true }],
          MappedPipes: [{ ContainerPipeName: "docker_engine", HostPath: "\\\\.\\pipe\\docker_engine" }],
          Memory: { SizeInMB: 256 },
          Processor: { Count: 2 },
          Networking: { Namespace: ns },
        }),
      ],
    ]);
    const st = await d.runtime.call<{ status: { state: string } }>("ContainerStatus", { container_id: ctr });
    expect(st.status.state).toBe("CONTAINER_CREATED");
  });

  test("StartContainer: the system starts and its process's output lands in the CRI log", async () => {
    await d.runtime.call("StartContainer", { container_id: ctr });
    expect(next()).toEqual([
      ["HcsStartComputeSystem", "<ctr>", ""],
      [
        "HcsCreateProcess",
        "<ctr>",
        {
          CommandLine: 'cmd /c "echo hello from windows & timeout /t 600"',
          User: "ContainerUser",
          WorkingDirectory: "C:\\app",
          Environment: { PATH: "C:\\Windows\\system32;C:\\Windows", MODE: "prod" },
          CreateStdOutPipe: true,
          CreateStdErrPipe: true,
        },
      ],
    ]);
    const logFile = path.join(d.dir, "logs", "site_0.log");
    const until = Date.now() + 5000;
    while (!fs.existsSync(logFile) || !fs.readFileSync(logFile, "utf8").includes("hello")) {
      if (Date.now() > until) throw new Error("no log line");
      await Bun.sleep(20);
    }
    expect(fs.readFileSync(logFile, "utf8")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello from windows\n$/);
    const list = await d.runtime.call<{ containers: { id: string; state: string }[] }>("ListContainers", {});
    expect(list.containers.map((c) => [c.id, c.state])).toEqual([[ctr, "CONTAINER_RUNNING"]]);
  });

  test("ContainerStats: CPU and memory from HCS statistics, the writable layer from the scratch", async () => {
    const res = await d.runtime.call<{ stats: { cpu: { usage_core_nano_seconds: { value: string } }; memory: { working_set_bytes: { value: string } } } }>("ContainerStats", {
      container_id: ctr,
    });
    // The fake reports 1 s of CPU and a 48 MiB working set per live process.
    expect([res.stats.cpu.usage_core_nano_seconds.value, res.stats.memory.working_set_bytes.value]).toEqual(["1000000000", String(48 * 2 ** 20)]);
    expect(next()).toEqual([["HcsGetComputeSystemProperties", "<ctr>", STATS_QUERY]]);
  });

  test("PodSandboxStats: the windows part, as a Windows kubelet reads it: the pause and running containers summed, processes, the endpoint's traffic", async () => {
    const [endpoint] = d.endpointsOf(ns);
    const res = await d.runtime.call<{ stats: { linux: unknown; windows: WindowsPodStats } }>("PodSandboxStats", { pod_sandbox_id: pod });
    expect(res.stats.linux).toBeNull();
    const w = res.stats.windows;
    const MiB = 2 ** 20;
    // The fake: 1 s of CPU, a 48 MiB working set and 64 MiB committed per live process; one in the pause container, one in ours.
    expect([w.cpu.usage_core_nano_seconds.value, w.memory.working_set_bytes.value, w.memory.commit_memory_bytes.value, w.process.process_count.value]).toEqual([
      "2000000000",
      String(96 * MiB),
      String(128 * MiB),
      "2",
    ]);
    // The first sample of a pod or container has no rate yet (containerd gives 0 too).
    expect(w.cpu.usage_nano_cores.value).toBe("0");
    expect(w.containers.map((c) => [c.attributes.id, c.cpu.usage_core_nano_seconds.value, c.memory.working_set_bytes.value, c.memory.commit_memory_bytes.value])).toEqual([
      [ctr, "1000000000", String(48 * MiB), String(64 * MiB)],
    ]);
    expect(w.containers[0]!.writable_layer.fs_id.mountpoint).toBe(path.join(d.root));
    // The fake's made-up counters for the endpoint the CNI plugin attached.
    const traffic = { name: endpoint, rx_bytes: { value: "4096" }, rx_packets_dropped: { value: "1" }, tx_bytes: { value: "2048" }, tx_packets_dropped: { value: "2" } };
    expect([w.network.default_interface, w.network.interfaces]).toEqual([traffic, [traffic]]);
    expect(next()).toEqual([
      ["HcsGetComputeSystemProperties", "<pod>", STATS_QUERY],
      ["HcnQueryNamespaceProperties", ns],
      ["HNSCall", "GET", `/endpointstats/${endpoint}`, ""],
      ["HcsGetComputeSystemProperties", "<ctr>", STATS_QUERY],
    ]);
    const list = await d.runtime.call<{ stats: { attributes: { id: string }; windows: WindowsPodStats }[] }>("ListPodSandboxStats", {});
    expect(list.stats.map((s) => [s.attributes.id, s.windows.containers.length])).toEqual([[pod, 1]]);
    // skiff's own statsp reads the windows part: memory and the endpoint's traffic.
    const cli = await runCli(["statsp", "-r", `unix://${d.socket}`, "--seconds", "0"]);
    expect(cli.stdout.split("\n")[1]).toMatch(/^\S+\s+iis\s+\S+\s+101MB\s+4.1kB\s+2.05kB$/);
    next();
  });

  test("UpdateContainerResources: the running system modified (memory, then its CPU control), the status shows the new figures", async () => {
    await d.runtime.call("UpdateContainerResources", { container_id: ctr, windows: { cpu_count: 8, memory_limit_in_bytes: 536870912 } });
    expect(next()).toEqual([
      ["HcsModifyComputeSystem", "<ctr>", '{"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":512}'],
      // 8 is more than the host's 4 processors.
      ["HcsModifyComputeSystem", "<ctr>", '{"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Count":4}}'],
    ]);
    type Res = { windows: { cpu_count: string; memory_limit_in_bytes: string; rootfs_size_in_bytes: string } };
    const st = await d.runtime.call<{ status: { resources: Res } }>("ContainerStatus", { container_id: ctr });
    expect(st.status.resources.windows).toMatchObject({ cpu_count: "8", memory_limit_in_bytes: "536870912", rootfs_size_in_bytes: "42949672960" });
    // A maximum on top of the count is refused before HCS hears of it; a failed HCS call leaves the figures as they were.
    const both = await d.runtime.call("UpdateContainerResources", { container_id: ctr, windows: { cpu_maximum: 5000 } }).catch((e) => e);
    expect([both.code, both.details]).toEqual([3, expect.stringContaining("mutually exclusive")]);
    d.inject([{ call: "HcsModifyComputeSystem" }]);
    const failed = await d.runtime.call("UpdateContainerResources", { container_id: ctr, windows: { memory_limit_in_bytes: 1073741824 } }).catch((e) => e);
    expect(failed.details).toContain("HcsModifyComputeSystem");
    const after = await d.runtime.call<{ status: { resources: Res } }>("ContainerStatus", { container_id: ctr });
    expect(after.status.resources.windows.memory_limit_in_bytes).toBe("536870912");
    next();
  });

  test("ExecSync: a process in the container, its output and exit code", async () => {
    const res = await d.runtime.call<{ stdout: Buffer; stderr: Buffer; exit_code: number }>("ExecSync", {
      container_id: ctr,
      cmd: ["cmd", "/c", "echo exec-out & echo exec-err 1>&2 & exit /b 3"],
      timeout: 10,
    });
    const calls = next();
    expect([Buffer.from(res.stdout).toString(), Buffer.from(res.stderr).toString(), res.exit_code]).toEqual(["exec-out\r\n", "exec-err\r\n", 3]);
    expect(calls.map((c) => c[0])).toEqual(["HcsCreateProcess", "HcsGetProcessProperties", "HcsCloseProcess"]);
    expect((calls[0]![2] as { CommandLine: string }).CommandLine).toBe('cmd /c "echo exec-out & echo exec-err 1>&2 & exit /b 3"');
  });

  test("StopContainer: CtrlShutdown, the exit read back, then the system is shut down", async () => {
    await d.runtime.call("StopContainer", { container_id: ctr, timeout: 10 });
    expect(next()).toEqual([
      ["HcsSignalProcess", "<ctr>", '{"Signal":"CtrlShutdown"}'],
      ["HcsGetProcessProperties", "<ctr>"],
      ["HcsCloseProcess", "<ctr>"],
      ["HcsShutDownComputeSystem", "<ctr>", ""],
    ]);
    const st = await d.runtime.call<{ status: { state: string; exit_code: number; reason: string } }>("ContainerStatus", { container_id: ctr });
    expect([st.status.state, st.status.exit_code, st.status.reason]).toEqual(["CONTAINER_EXITED", 0, "Completed"]);
  });

  test("RemoveContainer: the handle closed and the scratch unmounted and destroyed", async () => {
    await d.runtime.call("RemoveContainer", { container_id: ctr });
    expect(next()).toEqual([
      ["HcsCloseComputeSystem", "<ctr>"],
      ["UnprepareLayer", "<root>/scratch/<ctr>"],
      ["DeactivateLayer", "<root>/scratch/<ctr>"],
      ["DestroyLayer", "<root>/scratch/<ctr>"],
    ]);
    expect((await d.runtime.call<{ containers: unknown[] }>("ListContainers", {})).containers).toEqual([]);
  });

  test("StopPodSandbox and RemovePodSandbox: pause ended, CNI DEL, namespace deleted, scratch destroyed, nothing held", async () => {
    await d.runtime.call("StopPodSandbox", { pod_sandbox_id: pod });
    expect(next()).toEqual([
      ["HcsTerminateProcess", "<pod>"],
      ["HcsGetProcessProperties", "<pod>"],
      ["HcsCloseProcess", "<pod>"],
      ["HcsShutDownComputeSystem", "<pod>", ""],
      ["HNSCall", "DELETE", `/namespaces/${ns}`, ""],
    ]);
    expect(d.cniCalls().at(-1)).toBe(`DEL ${pod} ${ns} eth0`);
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    expect(next()).toEqual([
      ["HcsCloseComputeSystem", "<pod>"],
      ["UnprepareLayer", "<root>/scratch/<pod>"],
      ["DeactivateLayer", "<root>/scratch/<pod>"],
      ["DestroyLayer", "<root>/scratch/<pod>"],
    ]);
    expect(d.leaks()).toEqual([]);
    expect((await d.runtime.call<{ items: unknown[] }>("ListPodSandbox", {})).items).toEqual([]);
  });
});
