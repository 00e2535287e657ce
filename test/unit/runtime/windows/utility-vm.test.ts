import { beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NotSupportedError } from "../../../../src/errors.ts";
import type { Spec } from "../../../../src/oci/spec.ts";
import type { FakeWindowsCall } from "../../../../src/platform/fake/fake-call-log.ts";
import { FakeWindowsHost } from "../../../../src/platform/fake/fake-windows-host.ts";
import { type HcsCreateDeps, HcsCreateError, releaseResources } from "../../../../src/runtime/windows/hcs-create.ts";
import { UtilityVm } from "../../../../src/runtime/windows/utility-vm.ts";
import { utilityVmDocument, utilityVmOptions } from "../../../../src/runtime/windows/uvm-document.ts";
import { createXenonContainer } from "../../../../src/runtime/windows/xenon-create.ts";

let host: FakeWindowsHost;
let dir: string;
let base: string;
let deps: HcsCreateDeps;

async function startVm(annotations: Record<string, string> = {}): Promise<UtilityVm> {
  const vhd = path.join(dir, "vm", "sandbox.vhdx");
  fs.mkdirSync(path.dirname(vhd), { recursive: true });
  fs.writeFileSync(vhd, "");
  const opts = utilityVmOptions({ ociVersion: "1.1.0", annotations }, { processorCount: 4 }, { id: "p1@vm", owner: "skiff", osFilesPath: base, scratchVhdPath: vhd });
  let n = 0;
  const vm = new UtilityVm(host, "p1@vm", opts.processorCount, opts.noDirectMap, () => `adapter-${++n}`);
  await vm.createAndStart(JSON.stringify(utilityVmDocument(opts)));
  return vm;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-uvm-"));
  host = new FakeWindowsHost();
  base = path.join(dir, "base");
  fs.mkdirSync(path.join(base, "Files"), { recursive: true });
  await host.layers.processBaseImage(base);
  deps = { host, hostBuild: 20348, hostProcessorCount: 4, executable: "skiff.exe", newId: () => "x" };
});

const spec = (mounts: Spec["mounts"] = []): Spec => ({
  ociVersion: "1.1.0",
  process: { user: { uid: 0, gid: 0 }, cwd: "C:\\", args: ["cmd"] },
  windows: { network: { networkNamespace: "ns" } },
  mounts,
  annotations: { "io.kubernetes.cri.container-type": "container" },
});
const create = (vm: UtilityVm, id: string, mounts: Spec["mounts"] = []) =>
  createXenonContainer(deps, vm, { id, spec: spec(mounts), networkNamespace: "ns", storage: { scratch: path.join(dir, id), layers: [base], sizeBytes: 0 } });
const modifies = (from = 0) =>
  host.log.calls
    .slice(from)
    .filter((c) => c.call === "HcsModifyComputeSystem")
    .map((c) => JSON.parse(c.args[1] as string) as { ResourcePath?: string; GuestRequest?: { ResourceType?: string; RequestType?: string } });

describe("containers in a utility VM", () => {
  test("a second container reuses the layer shares and takes the next LUN and mount; the first one's are given back", async () => {
    const vm = await startVm();
    const a = await create(vm, "a");
    const mark = host.log.calls.length;
    const b = await create(vm, "b");
    expect(modifies(mark).map((m) => m.ResourcePath ?? m.GuestRequest?.ResourceType)).toEqual([
      "VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/2",
      "MappedVirtualDisk",
      "CombinedLayers",
    ]);
    expect(JSON.parse(b.document).HostedSystem.Container.Storage.Path).toBe("c:\\mounts\\scsi\\m1");
    await releaseResources(host, a.resources);
    host.hcs.closeComputeSystem(a.system);
    const c = await create(vm, "c");
    expect(JSON.parse(c.document).HostedSystem.Container.Storage.Path).toBe("c:\\mounts\\scsi\\m0");
    expect(host.hcs.systems.get("p1@vm")!.vm!.scsi.has("df6d0690-79e5-55b6-a5ec-c1e2f77f580a/1")).toBe(true);
  });

  test("direct-mapped shares stay when their last container goes (hcsshim cannot take them back); others are removed", async () => {
    for (const [annotations, left] of [[{}, 1], [{ "io.microsoft.virtualmachine.wcow.virtualSMB.nodirectmap": "true" }, 0]] as const) {
      host = new FakeWindowsHost();
      await host.layers.processBaseImage(base);
      deps = { ...deps, host };
      const vm = await startVm(annotations);
      const a = await create(vm, "a");
      await releaseResources(host, a.resources);
      expect(host.hcs.systems.get("p1@vm")!.vm!.shares.size).toBe(left);
    }
  });

  test("a failure at each call releases everything acquired before it, in the VM and on the host", async () => {
    const data = path.join(dir, "data");
    fs.mkdirSync(data);
    const mounts = [
      { source: data, destination: "C:\\data", options: ["ro"] },
      { source: "\\\\.\\pipe\\p", destination: "\\\\.\\pipe\\p" },
    ];
    const vm = await startVm({ "io.microsoft.virtualmachine.wcow.virtualSMB.nodirectmap": "true" });
    const before = host.leaks();
    const mark = host.log.calls.length;
    const ok = await create(vm, "probe", mounts);
    const steps: { call: FakeWindowsCall["call"]; nth: number }[] = [];
    const seen = new Map<string, number>();
    for (const c of host.log.calls.slice(mark)) {
      seen.set(c.call, (seen.get(c.call) ?? 0) + 1);
      steps.push({ call: c.call, nth: seen.get(c.call)! });
    }
    await releaseResources(host, ok.resources);
    host.hcs.closeComputeSystem(ok.system);
    expect(host.leaks()).toEqual(before);
    expect(steps.map((s) => s.call)).toEqual([
      "CreateSandboxLayer",
      "NameToGuid",
      "HcsModifyComputeSystem", // the layer's share
      "GrantVmAccess",
      "HcsModifyComputeSystem", // the scratch on SCSI
      "HcsModifyComputeSystem", // mounted in the guest
      "HcsModifyComputeSystem", // layers combined
      "HcsModifyComputeSystem", // the data directory's share
      "HcsModifyComputeSystem", // the pipe
      "HcsCreateComputeSystem",
    ]);
    for (const step of steps) {
      host.log.inject(step);
      const err = await create(vm, `c-${step.call}-${step.nth}`, mounts).catch((e) => e);
      expect(err, `${step.call} #${step.nth}`).toBeInstanceOf(HcsCreateError);
      expect(host.leaks(), `${step.call} #${step.nth}`).toEqual(before);
      expect(fs.existsSync(path.join(dir, `c-${step.call}-${step.nth}`)), `${step.call} #${step.nth}`).toBe(false);
    }
  });

  test("a single file cannot be shared into the VM, and nothing is left behind", async () => {
    const vm = await startVm();
    const before = host.leaks();
    const file = path.join(dir, "f.txt");
    fs.writeFileSync(file, "x");
    const err = await create(vm, "f", [{ source: file, destination: "C:\\f.txt" }]).catch((e) => e);
    expect(err.cause).toBeInstanceOf(NotSupportedError);
    expect(host.leaks()).toEqual(before);
  });
});

describe("the pod's network in the VM", () => {
  test("the namespace, then each endpoint's pre-add and NIC, eth0 first; a failure takes out what was added", async () => {
    const ns = JSON.parse(await host.hns.call("POST", "/namespaces/", "{}")).Output.ID as string;
    host.hns.setEndpoints([
      [ns, "1111aaaa-0000-4000-8000-000000000001"],
      [ns, "2222bbbb-0000-4000-8000-000000000002"],
    ]);
    const vm = await startVm();
    host.log.inject({ call: "HcsModifyComputeSystem", nth: 5 }); // the second NIC's add
    const mark = host.log.calls.length;
    const err = await vm.addNetwork(ns).catch((e) => e);
    expect(err.message).toContain("HcsModifyComputeSystem");
    const steps = modifies(mark).map((m) => `${m.ResourcePath ?? m.GuestRequest?.ResourceType}:${m.GuestRequest?.RequestType}`);
    expect(steps).toEqual([
      "NetworkNamespace:Add",
      "Network:Add",
      "VirtualMachine/Devices/NetworkAdapters/adapter-1:Add",
      "Network:Add",
      "VirtualMachine/Devices/NetworkAdapters/adapter-2:Add",
      "VirtualMachine/Devices/NetworkAdapters/adapter-1:Remove",
      "NetworkNamespace:Remove",
    ]);
    expect(host.hcs.systems.get("p1@vm")!.vm!.leaks("p1@vm")).toEqual([]);
  });
});
