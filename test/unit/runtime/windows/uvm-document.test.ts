import { describe, expect, test } from "bun:test";
import * as path from "node:path";
import { InvalidArgumentError } from "../../../../src/errors.ts";
import type { Spec } from "../../../../src/oci/spec.ts";
import { utilityVmDocument, utilityVmOptions } from "../../../../src/runtime/windows/uvm-document.ts";
import * as req from "../../../../src/runtime/windows/uvm-requests.ts";

const fixture = (name: string) => Bun.file(path.join(import.meta.dir, "fixtures", `${name}.json`)).json();
const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const WHERE = {
  id: "p1@vm",
  owner: "skiff.exe",
  osFilesPath: "C:\\ProgramData\\skiff\\root\\snapshots\\aaa\\UtilityVM\\Files",
  scratchVhdPath: "C:\\ProgramData\\skiff\\root\\scratch\\p1\\vm\\sandbox.vhdx",
};

/** A sandbox spec as containerd makes it for a Windows pod: default shares 2, the pod's annotations. */
const sandbox = (annotations: Record<string, string> = {}, resources: NonNullable<Spec["windows"]>["resources"] = { cpu: { shares: 2 } }): Spec => ({
  ociVersion: "1.1.0",
  windows: { resources },
  annotations: { "io.kubernetes.cri.container-type": "sandbox", ...annotations },
});

const doc = (spec: Spec, processors = 4) => json(utilityVmDocument(utilityVmOptions(spec, { processorCount: processors }, WHERE)));

describe("the utility VM document, against what hcsshim's CreateWCOW sends for the same options", () => {
  test("a pod with no VM annotations: 2 processors, 1024 MB overcommitted, the OS share, the scratch on LUN 0", async () => {
    expect(doc(sandbox())).toEqual(await fixture("uvm-default"));
  });

  test("annotations win: memory rounded up to even MB, the count lowered to the host's, physical backing, dumps, storage QoS", async () => {
    const spec = sandbox(
      {
        "io.microsoft.virtualmachine.computetopology.memory.sizeinmb": "2047",
        "io.microsoft.virtualmachine.computetopology.processor.count": "8",
        "io.microsoft.virtualmachine.computetopology.processor.limit": "5000",
        "io.microsoft.virtualmachine.computetopology.memory.allowovercommit": "false",
        "io.microsoft.virtualmachine.storageqos.iopsmaximum": "300",
        "io.microsoft.virtualmachine.storageqos.bandwidthmaximum": "1000000",
        "io.microsoft.container.processdumplocation": "C:\\dumps",
      },
      {},
    );
    expect(doc(spec)).toEqual(await fixture("uvm"));
  });

  test("without annotations the spec's resources size the VM", () => {
    const vm = doc(sandbox({}, { memory: { limit: 512 * 2 ** 20 }, cpu: { count: 1 } })).VirtualMachine.ComputeTopology;
    expect([vm.Memory.SizeInMB, vm.Processor]).toEqual([512, { Count: 1 }]);
  });

  test("a one-processor host gets a one-processor VM by default", () => {
    expect(doc(sandbox({}, {}), 1).VirtualMachine.ComputeTopology.Processor).toEqual({ Count: 1 });
  });

  test("compartment namespaces off: no registry values at all", () => {
    const d = doc(sandbox({ "io.microsoft.virtualmachine.disablecompartmentnamespace": "true" }));
    expect(d.VirtualMachine.RegistryChanges).toEqual({});
  });

  test("no direct map: the OS share says so", () => {
    const d = doc(sandbox({ "io.microsoft.virtualmachine.wcow.virtualSMB.nodirectmap": "true" }));
    expect(d.VirtualMachine.Devices.VirtualSmb.Shares[0].Options.NoDirectmap).toBe(true);
  });

  test("deferred commit on a physically backed VM is refused, naming the annotation", () => {
    const spec = sandbox({
      "io.microsoft.virtualmachine.computetopology.memory.allowovercommit": "false",
      "io.microsoft.virtualmachine.computetopology.memory.enabledeferredcommit": "true",
    });
    expect(() => doc(spec)).toThrow(InvalidArgumentError);
    expect(() => doc(spec)).toThrow(/enabledeferredcommit/);
  });
});

describe("modify requests, byte for byte as hcsshim marshals them", () => {
  const VSMB = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";
  const cases: { desc: string; got: req.ModifyRequest; want: string }[] = [
    {
      desc: "a read-only layer share (AddVSMB with DefaultVSMBOptions(true) and TakeBackupPrivilege)",
      got: req.vsmbAdd("s1", "C:\\l\\aaa", req.vsmbOptions(true, false, true)),
      want: '{"ResourcePath":"VirtualMachine/Devices/VirtualSmb/Shares","RequestType":"Add","Settings":{"Name":"s1","Path":"C:\\\\l\\\\aaa","Options":{"ReadOnly":true,"ShareRead":true,"CacheIo":true,"TakeBackupPrivilege":true,"PseudoOplocks":true}}}',
    },
    {
      desc: "a writable share has no options but the ones asked for",
      got: req.vsmbAdd("s2", "C:\\d", req.vsmbOptions(false, true)),
      want: '{"ResourcePath":"VirtualMachine/Devices/VirtualSmb/Shares","RequestType":"Add","Settings":{"Name":"s2","Path":"C:\\\\d","Options":{"NoDirectmap":true}}}',
    },
    {
      desc: "a share removed by name",
      got: req.vsmbRemove("s2"),
      want: '{"ResourcePath":"VirtualMachine/Devices/VirtualSmb/Shares","RequestType":"Remove","Settings":{"Name":"s2"}}',
    },
    {
      desc: "a scratch VHD hot-added on controller 0",
      got: req.scsiAttach(1, "C:\\s\\c1\\sandbox.vhdx"),
      want: '{"ResourcePath":"VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/1","RequestType":"Add","Settings":{"Type":"VirtualDisk","Path":"C:\\\\s\\\\c1\\\\sandbox.vhdx"}}',
    },
    { desc: "and detached", got: req.scsiDetach(1), want: '{"ResourcePath":"VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/1","RequestType":"Remove"}' },
    {
      desc: "the guest mounts it",
      got: req.mappedDisk("Add", req.scsiMountPath(0), 1),
      want: '{"GuestRequest":{"RequestType":"Add","ResourceType":"MappedVirtualDisk","Settings":{"ContainerPath":"c:\\\\mounts\\\\scsi\\\\m0","Lun":1}}}',
    },
    {
      desc: "the layers combined onto it",
      got: req.combineLayers("c:\\mounts\\scsi\\m0", [{ Id: "0d2f4c1e-1b7e-5a3c-9e4f-2a6b8c0d1e2f", Path: `${VSMB}s1` }]),
      want: '{"GuestRequest":{"RequestType":"Add","ResourceType":"CombinedLayers","Settings":{"ContainerRootPath":"c:\\\\mounts\\\\scsi\\\\m0","Layers":[{"Id":"0d2f4c1e-1b7e-5a3c-9e4f-2a6b8c0d1e2f","Path":"\\\\\\\\?\\\\VMSMB\\\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\\\s1"}]}}}',
    },
    {
      desc: "a host pipe mapped into the VM",
      got: req.mappedPipe("Add", "\\\\.\\pipe\\docker_engine"),
      want: '{"ResourcePath":"VirtualMachine/Devices/MappedPipes/\\\\\\\\.\\\\pipe\\\\docker_engine","RequestType":"Add"}',
    },
    {
      desc: "a NIC's pre-add carries its endpoint",
      got: req.nicPreAdd("a1", { ID: "e1" }),
      want: '{"GuestRequest":{"RequestType":"Add","ResourceType":"Network","Settings":{"AdapterId":"a1","RequestType":"PreAdd","Settings":{"ID":"e1"}}}}',
    },
    {
      desc: "the NIC itself, on the VM and in the guest",
      got: req.nicAdd("a1", "e1", "00-15-5D-01-02-03"),
      want: '{"ResourcePath":"VirtualMachine/Devices/NetworkAdapters/a1","RequestType":"Add","Settings":{"EndpointId":"e1","MacAddress":"00-15-5D-01-02-03"},"GuestRequest":{"RequestType":"Add","ResourceType":"Network","Settings":{"AdapterId":"a1","RequestType":"Add"}}}',
    },
    {
      desc: "its removal, whose guest part has no resource type (as hcsshim sends it)",
      got: req.nicRemove("a1", "e1", "00-15-5D-01-02-03"),
      want: '{"ResourcePath":"VirtualMachine/Devices/NetworkAdapters/a1","RequestType":"Remove","Settings":{"EndpointId":"e1","MacAddress":"00-15-5D-01-02-03"},"GuestRequest":{"RequestType":"Remove","Settings":{"AdapterId":"a1","RequestType":"Remove"}}}',
    },
    { desc: "a container's processor update", got: req.containerProcessor({ Count: 2 }), want: '{"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Count":2}}' },
    { desc: "a container's memory update, in MB", got: req.containerMemory(256), want: '{"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":256}' },
  ];
  for (const tc of cases) test(tc.desc, () => expect(JSON.stringify(tc.got)).toBe(tc.want));
});
