/**
 * Hyper-V isolated (Xenon) pods through the CRI socket (grpc-js), with skiff in its
 * Windows test mode: the pod's utility VM made, started and given the pod's network,
 * containers made inside it (layers over VSMB, their scratch on SCSI mounted by the guest,
 * the layers combined onto it, mounts shared, the hosted compute system), then everything
 * taken down again; each HCS, layer, HNS and HCN call the fake recorded is checked in
 * order with what it carried. Then the same handler on schema 1.0 (each container its own
 * HCS-made VM) and a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { fakeLayerGuid } from "../../../src/platform/fake/fake-layers.ts";
import type { TestRegistry } from "../../support/registry.ts";
import { skiffBinary } from "../harness.ts";
import { type Call, podConfig, shape } from "./windows-calls.ts";
import { checkRestart } from "./failure-steps.ts";
import { startWindowsSuite, type WindowsDaemon } from "./windows-fixture.ts";
import { describeModify, VSMB, XENON_HANDLERS } from "./xenon-fixture.ts";

let reg: TestRegistry;
let d: WindowsDaemon;
let app: string;
let layers: string[] = [];

beforeAll(async () => {
  ({ reg, d, app } = await startWindowsSuite(XENON_HANDLERS));
  // The image's layers, nearest first, as the pull imported them.
  const imported = d.calls().filter((c) => c.call === "ProcessBaseImage" || c.call === "ImportLayer");
  layers = imported.map((c) => c.args[0] as string).reverse();
});
afterAll(async () => {
  await d?.stop();
  await reg?.stop();
});

const owner = () => path.basename(skiffBinary());
const xenonPod = (name: string, annotations: Record<string, string> = {}) => ({ config: { ...podConfig(d.dir, name), annotations }, runtime_handler: "wcow-hyperv" });

describe("a Hyper-V isolated pod on schema 2.1", () => {
  let pod = "";
  let ctr = "";
  let ns = "";
  let endpoint = "";
  let mark = 0;
  /** The calls since the last look: modify requests in short, the rest in the shared shorthand. */
  const next = (): Call[] => {
    const all = d.calls();
    const out = all.slice(mark).map((c) => (c.call === "HcsModifyComputeSystem" ? [c.call, describeModify(c)] : shape(c, d.root, { pod, ctr })));
    mark = all.length;
    return out;
  };

  test("RunPodSandbox: a namespace, CNI in it, the VM from the image's UtilityVM (no pause container), the network in the VM", async () => {
    mark = d.calls().length;
    const res = await d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", xenonPod("xenon", { "io.microsoft.virtualmachine.computetopology.memory.sizeinmb": "2048" }), 30_000);
    pod = res.pod_sandbox_id;
    ns = d.cniCalls().at(-1)!.split(" ")[2]!;
    endpoint = d.endpointsOf(ns)[0] ?? "";
    const calls = next();
    const vhd = "<root>/scratch/<pod>/vm/sandbox.vhdx";
    expect(calls.map((c) => (c[0] === "HcsCreateComputeSystem" ? [c[0], c[1]] : c))).toEqual([
      ["HNSCall", "POST", "/namespaces/", "{}"],
      ["GrantVmAccess", "<pod>@vm", vhd],
      ["HcsCreateComputeSystem", "<pod>@vm"],
      ["HcsStartComputeSystem", "<pod>@vm", ""],
      ["HcsGetComputeSystemProperties", "<pod>@vm", '{"PropertyTypes":["GuestConnection"]}'],
      ["HcnQueryNamespaceProperties", ns],
      ["HcnQueryEndpointProperties", endpoint],
      ["HcsModifyComputeSystem", `guest Add NetworkNamespace ${ns}`],
      ["HcsModifyComputeSystem", "guest Add Network PreAdd"],
      ["HcsModifyComputeSystem", `Add nic for ${endpoint}`],
    ]);
    // Documents are parsed, not rewritten: their paths are the real ones.
    const base = layers.at(-1)!;
    const vm = (calls[2]![2] as { VirtualMachine: Record<string, Record<string, unknown>> }).VirtualMachine;
    // The pod's annotation sizes the VM; the rest is hcsshim's default for a pod.
    expect(vm.ComputeTopology).toEqual({ Memory: { SizeInMB: 2048, AllowOvercommit: true, EnableHotHint: true }, Processor: { Count: 2, Weight: 2 } });
    expect(vm.Devices!.VirtualSmb).toEqual({
      Shares: [{ Name: "os", Path: `${base}/UtilityVM/Files`, Options: { ReadOnly: true, ShareRead: true, CacheIo: true, TakeBackupPrivilege: true, PseudoOplocks: true } }],
      DirectFileMappingInMB: 1024,
    });
    const vhdPath = path.join(d.root, "scratch", pod, "vm", "sandbox.vhdx");
    expect(vm.Devices!.Scsi).toEqual({ "df6d0690-79e5-55b6-a5ec-c1e2f77f580a": { Attachments: { "0": { Type: "VirtualDisk", Path: vhdPath } } } });
    expect((calls[2]![2] as { Owner: string }).Owner).toBe(owner());
    // The VM's scratch is a private copy of the image's template.
    expect(fs.readFileSync(path.join(d.root, "scratch", pod, "vm", "sandbox.vhdx"), "utf8")).toBe("vhdxfile fake VM scratch");
    const status = await d.runtime.call<{ status: { state: string; network: { ip: string } } }>("PodSandboxStatus", { pod_sandbox_id: pod });
    expect([status.status.state, status.status.network.ip]).toEqual(["SANDBOX_READY", "10.99.0.5"]);
  });

  test("CreateContainer: its scratch, the layers shared, the scratch on SCSI and mounted, the layers combined, the mounts, the hosted system", async () => {
    const data = path.join(d.dir, "xdata");
    const res = await d.runtime.call<{ container_id: string }>("CreateContainer", {
      pod_sandbox_id: pod,
      config: {
        metadata: { name: "site" },
        image: { image: app },
        command: ["cmd", "/c", "echo hello from the VM & timeout /t 600"],
        log_path: "xsite_0.log",
        mounts: [
          { container_path: "C:\\data", host_path: data, readonly: true },
          { container_path: "\\\\.\\pipe\\docker_engine", host_path: "\\\\.\\pipe\\docker_engine" },
        ],
        windows: { resources: { cpu_count: 4, memory_limit_in_bytes: 268435456, rootfs_size_in_bytes: 42949672960 } },
      },
      sandbox_config: podConfig(d.dir, "xenon"),
    });
    ctr = res.container_id;
    const calls = next();
    const scratch = "<root>/scratch/<ctr>";
    const [top, base] = layers.map((l) => l.replace(d.root, "<root>"));
    expect(calls.slice(0, -1)).toEqual([
      ["CreateSandboxLayer", scratch, [top, base]],
      ["ExpandSandboxSize", scratch, 42949672960],
      ["NameToGuid", path.basename(top!)],
      ["NameToGuid", path.basename(base!)],
      ["HcsModifyComputeSystem", "Add share s1"],
      ["HcsModifyComputeSystem", "Add share s2"],
      ["GrantVmAccess", "<pod>@vm", `${scratch}/sandbox.vhdx`],
      ["HcsModifyComputeSystem", "Add scsi 1"],
      ["HcsModifyComputeSystem", "guest Add MappedVirtualDisk c:\\mounts\\scsi\\m0"],
      ["HcsModifyComputeSystem", "guest Add CombinedLayers c:\\mounts\\scsi\\m0"],
      ["HcsModifyComputeSystem", "Add share s3"],
      ["HcsModifyComputeSystem", "Add VirtualMachine/Devices/MappedPipes/\\\\.\\pipe\\docker_engine"],
    ]);
    expect(calls.at(-1)).toEqual([
      "HcsCreateComputeSystem",
      "<ctr>",
      {
        HostingSystemId: `${pod}@vm`,
        Owner: owner(),
        SchemaVersion: { Major: 2, Minor: 1 },
        ShouldTerminateOnLastHandleClosed: true,
        HostedSystem: {
          SchemaVersion: { Major: 2, Minor: 1 },
          Container: {
            GuestOs: { HostName: "iis-host" },
            Storage: {
              Path: "c:\\mounts\\scsi\\m0",
              Layers: [
                { Id: fakeLayerGuid(path.basename(top!)), Path: `${VSMB}s1` },
                { Id: fakeLayerGuid(path.basename(base!)), Path: `${VSMB}s2` },
              ],
            },
            // The count is lowered to the VM's 2 processors.
            Processor: { Count: 2 },
            Memory: { SizeInMB: 256 },
            Networking: { Namespace: ns },
            MappedDirectories: [{ HostPath: `${VSMB}s3`, ContainerPath: "C:\\data", ReadOnly: true }],
            MappedPipes: [{ ContainerPipeName: "docker_engine", HostPath: `${VSMB}IPC$\\docker_engine` }],
            RegistryChanges: {
              AddValues: [{ Key: { Hive: "System", Name: "ControlSet001\\Control" }, Name: "WaitToKillServiceTimeout", Type: "String", StringValue: "2147483647" }],
            },
          },
        },
      },
    ]);
  });

  test("StartContainer and ExecSync: the process runs in the VM's container and its output lands in the CRI log", async () => {
    await d.runtime.call("StartContainer", { container_id: ctr });
    expect(next().map((c) => [c[0], c[1]])).toEqual([
      ["HcsStartComputeSystem", "<ctr>"],
      ["HcsCreateProcess", "<ctr>"],
    ]);
    const logFile = path.join(d.dir, "logs", "xsite_0.log");
    const until = Date.now() + 5000;
    while (!fs.existsSync(logFile) || !fs.readFileSync(logFile, "utf8").includes("hello")) {
      if (Date.now() > until) throw new Error("no log line");
      await Bun.sleep(20);
    }
    const res = await d.runtime.call<{ stdout: Buffer; exit_code: number }>("ExecSync", { container_id: ctr, cmd: ["cmd", "/c", "echo in-vm"], timeout: 10 });
    expect([Buffer.from(res.stdout).toString(), res.exit_code]).toEqual(["in-vm\r\n", 0]);
    next();
  });

  test("PodSandboxStats: the windows part has its containers' figures only (the VM is no container) and the endpoint's traffic", async () => {
    type V = { value: string };
    const res = await d.runtime.call<{ stats: { windows: { cpu: { usage_core_nano_seconds: V }; process: { process_count: V }; network: { interfaces: { name: string }[] }; containers: unknown[] } } }>(
      "PodSandboxStats",
      { pod_sandbox_id: pod },
    );
    const w = res.stats.windows;
    expect([w.cpu.usage_core_nano_seconds.value, w.process.process_count.value, w.containers.length, w.network.interfaces.map((i) => i.name)]).toEqual([
      "1000000000",
      "1",
      1,
      [endpoint],
    ]);
    expect(next().map((c) => [c[0], c[1]])).toEqual([
      ["HcnQueryNamespaceProperties", ns],
      ["HNSCall", "GET"],
      ["HcsGetComputeSystemProperties", "<ctr>"],
    ]);
  });

  test("UpdateContainerResources: the hosted system modified, the count lowered to the VM's processors", async () => {
    const before = d.calls().length;
    await d.runtime.call("UpdateContainerResources", { container_id: ctr, windows: { cpu_count: 4 } });
    expect(d.calls().slice(before).map((c) => [c.call, ...c.args])).toEqual([
      ["HcsModifyComputeSystem", ctr, '{"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":256}'],
      ["HcsModifyComputeSystem", ctr, '{"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Count":2}}'],
    ]);
    next();
  });

  test("a second container reuses the layer shares and takes the next LUN and mount; removing it gives them back, its shares stay", async () => {
    const { container_id: second } = await d.runtime.call<{ container_id: string }>("CreateContainer", {
      pod_sandbox_id: pod,
      config: { metadata: { name: "second" }, image: { image: app }, command: ["cmd", "/c", "timeout /t 600"] },
    });
    expect(next().filter((c) => c[0] === "HcsModifyComputeSystem")).toEqual([
      ["HcsModifyComputeSystem", "Add scsi 2"],
      ["HcsModifyComputeSystem", "guest Add MappedVirtualDisk c:\\mounts\\scsi\\m1"],
      ["HcsModifyComputeSystem", "guest Add CombinedLayers c:\\mounts\\scsi\\m1"],
    ]);
    const leaks = d.leaks();
    await d.runtime.call("RemoveContainer", { container_id: second });
    // Direct-mapped layer shares are not taken back while the VM runs (hcsshim: the guest may still map their files).
    expect(next().map((c) => (c[0] === "HcsModifyComputeSystem" ? c[1] : c[0]))).toEqual([
      "HcsShutDownComputeSystem",
      "HcsCloseComputeSystem",
      "guest Remove CombinedLayers c:\\mounts\\scsi\\m1",
      "guest Remove MappedVirtualDisk c:\\mounts\\scsi\\m1",
      "Remove scsi 2",
      "DestroyLayer",
    ]);
    const gone = leaks.filter((l) => !d.leaks().includes(l));
    expect(gone.sort()).toEqual(
      [
        `compute system "${second}" (created)`,
        `system handle of "${second}"`,
        `SCSI attachment df6d0690-79e5-55b6-a5ec-c1e2f77f580a/2 in "${pod}@vm"`,
        `guest mount c:\\mounts\\scsi\\m1 in "${pod}@vm"`,
        `combined layers at c:\\mounts\\scsi\\m1 in "${pod}@vm"`,
        `scratch layer "${path.join(d.root, "scratch", second)}"`,
      ].sort(),
    );
    expect(d.leaks().length).toBe(leaks.length - gone.length);
  });

  test("StopPodSandbox and RemovePodSandbox: the container stopped, the network out of the VM, the VM terminated, CNI DEL, nothing held", async () => {
    await d.runtime.call("StopPodSandbox", { pod_sandbox_id: pod });
    const calls = next();
    expect(calls.map((c) => (c[0] === "HcsModifyComputeSystem" ? c[1] : [c[0], c[1]]))).toEqual([
      ["HcsTerminateProcess", "<ctr>"],
      ["HcsGetProcessProperties", "<ctr>"],
      ["HcsCloseProcess", "<ctr>"],
      ["HcsShutDownComputeSystem", "<ctr>"],
      `Remove nic for ${endpoint}`,
      `guest Remove NetworkNamespace ${ns}`,
      ["HcsTerminateComputeSystem", "<pod>@vm"],
      ["HcsCloseComputeSystem", "<pod>@vm"],
      ["HNSCall", "DELETE"],
    ]);
    expect(d.cniCalls().at(-1)).toBe(`DEL ${pod} ${ns} eth0`);
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    // The VM took the container's devices with it: only the host side is left to undo.
    expect(next().map((c) => c[0])).toEqual(["HcsCloseComputeSystem", "DestroyLayer"]);
    expect(fs.existsSync(path.join(d.root, "scratch", pod))).toBe(false);
    expect(d.leaks()).toEqual([]);
  });
});

describe("the Hyper-V handler on HCS schema 1.0 (Windows Server 2016 to 1803)", () => {
  test("the pod and each container are HCS-made VMs: HvPartition, the UtilityVM image, the scratch by LayerFolderPath, never mounted on the host", async () => {
    const before = d.calls().length;
    const { pod_sandbox_id: pod } = await d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: podConfig(d.dir, "xenon-v1"), runtime_handler: "wcow-hyperv-v1" }, 30_000);
    const { container_id: id } = await d.runtime.call<{ container_id: string }>("CreateContainer", {
      pod_sandbox_id: pod,
      config: { metadata: { name: "v1" }, image: { image: app }, command: ["cmd", "/c", "timeout /t 600"] },
    });
    await d.runtime.call("StartContainer", { container_id: id });
    const calls = d.calls().slice(before);
    expect(calls.filter((c) => ["HNSCall", "ActivateLayer", "PrepareLayer", "HcsModifyComputeSystem"].includes(c.call))).toEqual([]);
    const docs = calls.filter((c) => c.call === "HcsCreateComputeSystem").map((c) => JSON.parse(c.args[1] as string));
    const base = layers.at(-1)!;
    expect(docs.map((x) => [x.Name, x.HvPartition, x.HvRuntime, x.LayerFolderPath, x.VolumePath, x.Layers.length])).toEqual([
      [pod, true, { ImagePath: `${base}/UtilityVM` }, path.join(d.root, "scratch", pod), undefined, 2],
      [id, true, { ImagePath: `${base}/UtilityVM` }, path.join(d.root, "scratch", id), undefined, 2],
    ]);
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    expect(d.leaks()).toEqual([]);
  });
});

describe("a restart", () => {
  test("finds the VM gone with skiff's handle: the pod not ready, its container exited, both removable, nothing held", async () => {
    d = await checkRestart(d, xenonPod("survivor"), { metadata: { name: "long" }, image: { image: app }, command: ["cmd", "/c", "timeout /t 600"] });
  });
});
