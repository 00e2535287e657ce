/**
 * The ModifySettingRequests (HcsModifyComputeSystem) that change a running utility VM or
 * container, as pure functions. Resource paths, request and resource types and field
 * names are hcsshim's (internal/hcs/resourcepaths, internal/protocol/guestrequest and
 * guestresource, internal/uvm); keys are written in hcsshim's struct order, so the text is
 * what hcsshim sends.
 *
 * A request has a host part (`ResourcePath`, `Settings`: a device of the VM) and/or a
 * guest part (`GuestRequest`: what the guest does with it: mount a disk, combine layers,
 * set up a namespace). With no external GCS bridge, HCS forwards the guest part itself.
 */
import { compact } from "./hcs-schema.ts";

/** The first SCSI controller's GUID (hcsshim guestrequest.ScsiControllerGuids[0]); a Windows guest has only it. */
export const SCSI_CONTROLLER_0 = "df6d0690-79e5-55b6-a5ec-c1e2f77f580a";
/** How a utility VM sees a VSMB share `<name>` (hcsshim uvm/vsmb.go). */
export const VSMB_SHARE_PREFIX = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";
/** Where the guest mounts the n-th SCSI disk it is asked to (hcsshim guestpath.WCOWGlobalScsiMountPrefixFmt). */
export const scsiMountPath = (index: number): string => `c:\\mounts\\scsi\\m${index}`;

export type ModifyRequest = {
  ResourcePath?: string;
  RequestType?: "Add" | "Remove" | "Update";
  Settings?: unknown;
  GuestRequest?: { RequestType?: "Add" | "Remove"; ResourceType?: string; Settings?: unknown };
};

export type VsmbOptions = {
  ReadOnly?: boolean;
  ShareRead?: boolean;
  CacheIo?: boolean;
  TakeBackupPrivilege?: boolean;
  NoDirectmap?: boolean;
  PseudoOplocks?: boolean;
};

/**
 * hcsshim's DefaultVSMBOptions: a read-only share is shared-read, cached, with
 * pseudo-oplocks; image layers also take the backup privilege. Keys in the schema's order.
 */
export function vsmbOptions(readOnly: boolean, noDirectMap: boolean, takeBackup = false): VsmbOptions {
  return compact({
    ReadOnly: readOnly || undefined,
    ShareRead: readOnly || undefined,
    CacheIo: readOnly || undefined,
    TakeBackupPrivilege: takeBackup || undefined,
    NoDirectmap: noDirectMap || undefined,
    PseudoOplocks: readOnly || undefined,
  });
}

const VSMB_SHARES = "VirtualMachine/Devices/VirtualSmb/Shares";
const scsiPath = (lun: number) => `VirtualMachine/Devices/Scsi/${SCSI_CONTROLLER_0}/Attachments/${lun}`;

export const vsmbAdd = (name: string, path: string, options: VsmbOptions): ModifyRequest => ({
  ResourcePath: VSMB_SHARES,
  RequestType: "Add",
  Settings: { Name: name, Path: path, Options: options },
});

export const vsmbRemove = (name: string): ModifyRequest => ({ ResourcePath: VSMB_SHARES, RequestType: "Remove", Settings: { Name: name } });

/** A VHD hot-added on SCSI controller 0 at `lun`, writable. */
export const scsiAttach = (lun: number, vhdPath: string): ModifyRequest => ({
  ResourcePath: scsiPath(lun),
  RequestType: "Add",
  Settings: { Type: "VirtualDisk", Path: vhdPath },
});

export const scsiDetach = (lun: number): ModifyRequest => ({ ResourcePath: scsiPath(lun), RequestType: "Remove" });

/** The guest mounts (or unmounts) the disk at `lun` on `path`. */
export const mappedDisk = (type: "Add" | "Remove", path: string, lun: number): ModifyRequest => ({
  GuestRequest: { RequestType: type, ResourceType: "MappedVirtualDisk", Settings: { ContainerPath: path, Lun: lun } },
});

/** The guest's filter over `root` (a mounted scratch) with the read-only `layers` (VSMB paths) below it. */
export const combineLayers = (root: string, layers: readonly { Id: string; Path: string }[]): ModifyRequest => ({
  GuestRequest: { RequestType: "Add", ResourceType: "CombinedLayers", Settings: { ContainerRootPath: root, Layers: layers } },
});

export const removeCombinedLayers = (root: string): ModifyRequest => ({
  GuestRequest: { RequestType: "Remove", ResourceType: "CombinedLayers", Settings: { ContainerRootPath: root } },
});

/** A host named pipe made visible in the VM (the container sees it through VSMB's IPC$). */
export const mappedPipe = (type: "Add" | "Remove", hostPath: string): ModifyRequest => ({
  ResourcePath: `VirtualMachine/Devices/MappedPipes/${hostPath}`,
  RequestType: type,
});

/** The pod's network namespace (the HCN document) added to or removed from the guest. */
export const guestNamespace = (type: "Add" | "Remove", namespace: unknown): ModifyRequest => ({
  GuestRequest: { RequestType: type, ResourceType: "NetworkNamespace", Settings: namespace },
});

/** Before a NIC is added, the guest is told of its endpoint (a guest-only request, Windows only). */
export const nicPreAdd = (adapterId: string, endpoint: unknown): ModifyRequest => ({
  GuestRequest: { RequestType: "Add", ResourceType: "Network", Settings: { AdapterId: adapterId, RequestType: "PreAdd", Settings: endpoint } },
});

/** The NIC of an HNS endpoint, on the VM and in the guest. */
export const nicAdd = (adapterId: string, endpointId: string, mac: string): ModifyRequest => ({
  ResourcePath: `VirtualMachine/Devices/NetworkAdapters/${adapterId}`,
  RequestType: "Add",
  Settings: compact({ EndpointId: endpointId, MacAddress: mac || undefined }),
  GuestRequest: { RequestType: "Add", ResourceType: "Network", Settings: { AdapterId: adapterId, RequestType: "Add" } },
});

/** Its removal: hcsshim sends the guest part of a Windows NIC removal without a resource type. */
export const nicRemove = (adapterId: string, endpointId: string, mac: string): ModifyRequest => ({
  ResourcePath: `VirtualMachine/Devices/NetworkAdapters/${adapterId}`,
  RequestType: "Remove",
  Settings: compact({ EndpointId: endpointId, MacAddress: mac || undefined }),
  GuestRequest: { RequestType: "Remove", Settings: { AdapterId: adapterId, RequestType: "Remove" } },
});

/** A running container's processor limit (exactly one of count, maximum, weight). */
export const containerProcessor = (p: { Count?: number; Maximum?: number; Weight?: number }): ModifyRequest => ({
  ResourcePath: "Container/Processor",
  RequestType: "Update",
  Settings: compact(p),
});

/** A running container's memory limit, in MB. */
export const containerMemory = (mb: number): ModifyRequest => ({ ResourcePath: "Container/Memory/SizeInMB", RequestType: "Update", Settings: mb });
