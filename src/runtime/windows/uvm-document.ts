/**
 * The HCS document of a Windows utility VM (the Hyper-V isolated pod's sandbox), as a pure
 * function of its options, per hcsshim's uvm/create_wcow.go for a VM booted from a base
 * layer's `UtilityVM\Files` over VSMB (`VmbFs`): processors and memory (annotations
 * `io.microsoft.virtualmachine.*` first, then the sandbox spec's resources, then hcsshim's
 * defaults: 2 processors (1 on a one-processor host), 1024 MB, memory overcommit), the
 * VM's scratch VHD on SCSI controller 0 LUN 0, hyper-V sockets bindable by SYSTEM and
 * Administrators only, the OS share, and the registry changes hcsshim makes.
 *
 * skiff's choices, where hcsshim has options: no log forwarding service (skiff does not
 * listen for the guest's ETW stream, so its hvsocket service table entry is left out), no
 * external GCS bridge (HCS talks to the guest; see utility-vm.ts), no vNUMA, CPU groups,
 * console pipe or crash dumps of the VM.
 */
import { InvalidArgumentError } from "../../errors.ts";
import type { Spec } from "../../oci/spec.ts";
import { boolAnnotation, HCS_ANNOTATION } from "./hcs-limits.ts";
import { compact, type RegistryValue, SCHEMA_V21 } from "./hcs-schema.ts";
import { SCSI_CONTROLLER_0, vsmbOptions } from "./uvm-requests.ts";

/** hcsshim's annotation keys for the utility VM (pkg/annotations). */
export const UVM_ANNOTATION = {
  memorySizeInMB: "io.microsoft.virtualmachine.computetopology.memory.sizeinmb",
  allowOvercommit: "io.microsoft.virtualmachine.computetopology.memory.allowovercommit",
  enableDeferredCommit: "io.microsoft.virtualmachine.computetopology.memory.enabledeferredcommit",
  processorCount: "io.microsoft.virtualmachine.computetopology.processor.count",
  processorLimit: "io.microsoft.virtualmachine.computetopology.processor.limit",
  processorWeight: "io.microsoft.virtualmachine.computetopology.processor.weight",
  storageBandwidthMaximum: "io.microsoft.virtualmachine.storageqos.bandwidthmaximum",
  storageIopsMaximum: "io.microsoft.virtualmachine.storageqos.iopsmaximum",
  disableCompartmentNamespace: "io.microsoft.virtualmachine.disablecompartmentnamespace",
  vsmbNoDirectMap: "io.microsoft.virtualmachine.wcow.virtualSMB.nodirectmap",
} as const;

/** Who may bind hyper-V sockets in the VM: SYSTEM and Administrators (so the host can reach the guest's services). */
const HVSOCKET_SDDL = "D:P(A;;FA;;;SY)(A;;FA;;;BA)";
/** Where the boot manager sits in `UtilityVM\Files` (hcsshim wclayer.BootDirRelativePath). */
const BOOT_MANAGER = "\\EFI\\Microsoft\\Boot\\bootmgfw.efi";

export type UtilityVmOptions = {
  id: string;
  owner: string;
  processorCount: number;
  processorLimit: number;
  processorWeight: number;
  memorySizeInMB: number;
  allowOvercommit: boolean;
  enableDeferredCommit: boolean;
  storageQos: { bandwidth: number; iops: number };
  /** The containers' dump location: turns on WER's service in the VM (hcsshim's workaround). */
  processDumpLocation: string;
  disableCompartmentNamespace: boolean;
  noDirectMap: boolean;
  /** `<base layer>\UtilityVM\Files`: what the VM boots from. */
  osFilesPath: string;
  /** The VM's own scratch VHD (a copy of the base layer's `UtilityVM\SystemTemplate.vhdx`). */
  scratchVhdPath: string;
};

const uint = (a: Readonly<Record<string, string>>, key: string): number => {
  const v = a[key]?.trim();
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
};

/**
 * The options of the utility VM for a sandbox spec (hcsshim oci.SpecToUVMCreateOpts): each
 * figure from its annotation, else the spec's `windows.resources`, else the default; the
 * processor count lowered to the host's (NormalizeProcessorCount), the memory rounded up to
 * an even number of MB (NormalizeMemorySize).
 */
export function utilityVmOptions(
  spec: Spec,
  host: { processorCount: number },
  where: Pick<UtilityVmOptions, "id" | "owner" | "osFilesPath" | "scratchVhdPath">,
): UtilityVmOptions {
  const a = spec.annotations ?? {};
  const r = spec.windows?.resources;
  const memoryLimit = r?.memory?.limit ?? 0;
  const memory = uint(a, UVM_ANNOTATION.memorySizeInMB) || (memoryLimit > 0 ? Math.floor(memoryLimit / 2 ** 20) : 1024);
  const count = uint(a, UVM_ANNOTATION.processorCount) || r?.cpu?.count || (host.processorCount === 1 ? 1 : 2);
  const opts: UtilityVmOptions = {
    ...where,
    processorCount: Math.min(count, host.processorCount),
    processorLimit: uint(a, UVM_ANNOTATION.processorLimit) || r?.cpu?.maximum || 0,
    processorWeight: uint(a, UVM_ANNOTATION.processorWeight) || r?.cpu?.shares || 0,
    memorySizeInMB: memory + (memory % 2),
    allowOvercommit: boolAnnotation(a, UVM_ANNOTATION.allowOvercommit) ?? true,
    enableDeferredCommit: boolAnnotation(a, UVM_ANNOTATION.enableDeferredCommit) ?? false,
    storageQos: {
      bandwidth: uint(a, UVM_ANNOTATION.storageBandwidthMaximum) || r?.storage?.bps || 0,
      iops: uint(a, UVM_ANNOTATION.storageIopsMaximum) || r?.storage?.iops || 0,
    },
    processDumpLocation: a[HCS_ANNOTATION.processDumpLocation] ?? "",
    disableCompartmentNamespace: boolAnnotation(a, UVM_ANNOTATION.disableCompartmentNamespace) ?? false,
    noDirectMap: boolAnnotation(a, UVM_ANNOTATION.vsmbNoDirectMap) ?? false,
  };
  if (opts.enableDeferredCommit && !opts.allowOvercommit) {
    throw new InvalidArgumentError(`annotations["${UVM_ANNOTATION.enableDeferredCommit}"]`, "deferred commit needs memory overcommit (a physically backed VM cannot defer)");
  }
  return opts;
}

/** The registry values hcsshim writes into a Windows utility VM. */
function registryValues(o: UtilityVmOptions): RegistryValue[] {
  const out: RegistryValue[] = [];
  if (o.processDumpLocation !== "") {
    // Local dumps: start WerSvc with the VM and turn WER reporting off (hcsshim's workaround, Windows-Containers#60).
    out.push(
      { Key: { Hive: "System", Name: "ControlSet001\\Services\\WerSvc" }, Name: "Start", DWordValue: 2, Type: "DWord" },
      { Key: { Hive: "Software", Name: "Microsoft\\Windows\\Windows Error Reporting" }, Name: "Disabled", DWordValue: 1, Type: "DWord" },
    );
  }
  if (!o.disableCompartmentNamespace) {
    out.push({ Key: { Hive: "System", Name: "CurrentControlSet\\Services\\gns" }, Name: "EnableCompartmentNamespace", DWordValue: 1, Type: "DWord" });
  }
  return out;
}

/** The compute system document HcsCreateComputeSystem gets for the utility VM. */
export function utilityVmDocument(o: UtilityVmOptions) {
  const values = registryValues(o);
  const os = vsmbOptions(true, o.noDirectMap, true);
  return {
    Owner: o.owner,
    SchemaVersion: SCHEMA_V21,
    ShouldTerminateOnLastHandleClosed: true,
    VirtualMachine: compact({
      StopOnReset: true,
      Chipset: { Uefi: { BootThis: { DevicePath: BOOT_MANAGER, DeviceType: "VmbFs" } } },
      ComputeTopology: {
        Memory: compact({
          SizeInMB: o.memorySizeInMB,
          AllowOvercommit: o.allowOvercommit || undefined,
          EnableHotHint: o.allowOvercommit || undefined,
          EnableDeferredCommit: o.enableDeferredCommit || undefined,
        }),
        Processor: compact({ Count: o.processorCount, Limit: o.processorLimit || undefined, Weight: o.processorWeight || undefined }),
      },
      Devices: {
        Scsi: { [SCSI_CONTROLLER_0]: { Attachments: { "0": { Type: "VirtualDisk", Path: o.scratchVhdPath } } } },
        HvSocket: { HvSocketConfig: { DefaultBindSecurityDescriptor: HVSOCKET_SDDL } },
        VirtualSmb: { Shares: [{ Name: "os", Path: o.osFilesPath, Options: os }], DirectFileMappingInMB: 1024 },
      },
      RegistryChanges: values.length > 0 ? { AddValues: values } : {},
      StorageQoS:
        o.storageQos.bandwidth > 0 || o.storageQos.iops > 0
          ? compact({ IopsMaximum: o.storageQos.iops || undefined, BandwidthMaximum: o.storageQos.bandwidth || undefined })
          : undefined,
    }),
  };
}
