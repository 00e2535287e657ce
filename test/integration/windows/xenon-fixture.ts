/** Hyper-V isolated pods in the Windows test mode: the handlers, and reading the VM's modify requests. */
import type { FakeWindowsCall } from "../../../src/platform/fake/fake-call-log.ts";

/** containerd's runhcs-wcow-hypervisor handler, and the same forced to HCS schema 1.0. */
export const XENON_HANDLERS = `
[runtimes.wcow-hyperv]
runtime_type = "hcs"
sandbox_isolation = "hyperv"
pod_annotations = ["io.microsoft.virtualmachine.*"]
container_annotations = ["io.microsoft.container.*"]

[runtimes.wcow-hyperv-v1]
runtime_type = "hcs"
sandbox_isolation = "hyperv"
hcs_schema_version = "1.0"
`;

export const VSMB = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";
export const SCSI = "VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments";

/** A modify request in short: what it adds or removes, where (`share s1`, `scsi 1`, `guest MappedVirtualDisk c:\mounts\scsi\m0`...). */
export function describeModify(c: FakeWindowsCall): string {
  const r = JSON.parse(c.args[1] as string) as {
    ResourcePath?: string;
    RequestType?: string;
    Settings?: { Name?: string; Path?: string; EndpointId?: string };
    GuestRequest?: { RequestType?: string; ResourceType?: string; Settings?: { ContainerPath?: string; ContainerRootPath?: string; RequestType?: string; ID?: string } };
  };
  const g = r.GuestRequest;
  if (!r.ResourcePath) {
    const s = g?.Settings;
    return `guest ${g?.RequestType} ${g?.ResourceType} ${s?.ContainerPath ?? s?.ContainerRootPath ?? s?.RequestType ?? s?.ID ?? ""}`.trim();
  }
  if (r.ResourcePath === "VirtualMachine/Devices/VirtualSmb/Shares") return `${r.RequestType} share ${r.Settings?.Name}`;
  if (r.ResourcePath.startsWith(SCSI)) return `${r.RequestType} scsi ${r.ResourcePath.slice(SCSI.length + 1)}`;
  if (r.ResourcePath.startsWith("VirtualMachine/Devices/NetworkAdapters/")) return `${r.RequestType} nic for ${r.Settings?.EndpointId}`;
  return `${r.RequestType} ${r.ResourcePath}`;
}
