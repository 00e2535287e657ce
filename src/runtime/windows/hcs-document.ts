/**
 * HCS documents for a Windows container, as pure functions of the spec and the create
 * options (seed hcsoci/create.go and hcsshim's hcsdoc_wcow.go): the schema 1 and
 * schema 2 forms side by side, then the compute system document for the case at hand:
 *
 * - Argon v1: the schema 1 document, with the scratch volume and the layers;
 * - Xenon v1: the schema 1 document with `HvPartition`, HCS running its own utility VM;
 * - Argon v2: a `ComputeSystem` with the `Container`, terminated when its last handle closes;
 * - Xenon v2: a `ComputeSystem` hosted in a utility VM (`HostingSystemId` + `HostedSystem`).
 */
import { InvalidArgumentError } from "../../errors.ts";
import type { Spec } from "../../oci/spec.ts";
import { cpuLimits, HCS_ANNOTATION, memoryMB, storageQos } from "./hcs-limits.ts";
import {
  compact,
  type ComputeSystemDocument,
  type RegistryValue,
  SCHEMA_V21,
  type SchemaVersion,
  type V1ContainerConfig,
  type V1MappedDir,
  type V2Container,
} from "./hcs-schema.ts";

/** Windows Server 2019 (RS5): the first build with schema 2.1. */
export const BUILD_RS5 = 17763;
/** 1709 (RS3): the first build that maps named pipes into containers. */
export const BUILD_RS3 = 16299;

const PIPE_PREFIX = "\\\\.\\pipe\\";
/** Where a utility VM sees the host's named pipes through VSMB (hcsshim uvm/vsmb.go). */
const VSMB_PIPE_PREFIX = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\IPC$\\";
const VOLUME_GUID_PATH = /^\\\\\?\\Volume\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}\\?$/;

export const isV10 = (v: SchemaVersion) => v.Major === 1 && v.Minor === 0;
export const isV21 = (v: SchemaVersion) => v.Major === 2 && v.Minor === 1;

export type HcsContainerInput = {
  id: string;
  owner: string;
  /** `root.path` set: the scratch volume (Argon) or the combined layers' path in the utility VM (Xenon v2). */
  spec: Spec;
  schema: SchemaVersion;
  /** Where the host build matters (named pipes need RS3). */
  hostBuild: number;
  hostProcessorCount: number;
  /** The utility VM a v2 Xenon container lives in. */
  hostingSystem?: { id: string; processorCount: number; guestPathOf: (hostPath: string, readOnly: boolean) => string };
  /** The image layers as mounted: GUID and path (host folders; for v2 Xenon, paths in the utility VM). */
  layers: { id: string; path: string }[];
  /** The network namespace the container joins (created for the sandbox or given). */
  networkNamespace: string;
  /** v1 Xenon: the utility VM image when the spec names none (the base layer's UtilityVM folder). */
  utilityVmImagePath?: string;
  /** v1 Xenon: the scratch folder HCS's utility VM mounts (there is no host volume to name). */
  layerFolderPath?: string;
};

type Mode = "argon-v1" | "argon-v2" | "xenon-v1" | "xenon-v2";

/**
 * Which of the four kinds a container is. The seed asks a v1 Xenon for a hosting system,
 * but a hosting system forces schema 2.1, so with schema 1.0 Hyper-V isolation means
 * `spec.windows.hyperv`: HCS's own utility VM, asked for with `HvPartition`.
 */
export function containerMode(input: Pick<HcsContainerInput, "schema" | "hostingSystem" | "spec">): Mode {
  if (isV21(input.schema)) return input.hostingSystem ? "xenon-v2" : "argon-v2";
  if (input.hostingSystem) throw new InvalidArgumentError("schema", "a container hosted in a utility VM needs schema 2.1");
  return input.spec.windows?.hyperv ? "xenon-v1" : "argon-v1";
}

function readOnly(options: readonly string[] | undefined): boolean {
  return (options ?? []).some((o) => o.toLowerCase() === "ro");
}

function mounts(input: HcsContainerInput, mode: Mode) {
  const v1: V1MappedDir[] = [];
  const v2: NonNullable<V2Container["MappedDirectories"]> = [];
  const pipes: { HostPath: string; ContainerPipeName: string }[] = [];
  for (const m of input.spec.mounts ?? []) {
    const source = m.source ?? "";
    if (m.destination === "" || source === "") throw new InvalidArgumentError("mounts", "a mount needs both a source and a destination");
    const ro = readOnly(m.options);
    // A host pipe is mapped as a pipe when the destination is one too; either way it is no directory.
    if (source.startsWith(PIPE_PREFIX)) {
      if (m.destination.startsWith(PIPE_PREFIX)) {
        const host = mode === "xenon-v2" ? `${VSMB_PIPE_PREFIX}${source.slice(PIPE_PREFIX.length)}` : source;
        pipes.push({ HostPath: host, ContainerPipeName: m.destination.slice(PIPE_PREFIX.length) });
      }
      continue;
    }
    v1.push({ HostPath: source, ContainerPath: m.destination, ReadOnly: ro, BandwidthMaximum: 0, IOPSMaximum: 0, CreateInUtilityVM: false });
    const host = mode === "xenon-v2" && input.hostingSystem ? input.hostingSystem.guestPathOf(source, ro) : source;
    v2.push(compact({ HostPath: host, ContainerPath: m.destination, ReadOnly: ro || undefined }));
  }
  if (pipes.length > 0 && input.hostBuild < BUILD_RS3) {
    throw new InvalidArgumentError("mounts", "named pipe mounts are not supported on this version of Windows");
  }
  return { v1, v2, pipes };
}

/** The WER keys for local dumps, when a dump location is asked for (hcsshim: full dumps, 10 kept, unless told). */
function dumpRegistryValues(spec: Spec, id: string): RegistryValue[] {
  const a = spec.annotations ?? {};
  let dir = a[HCS_ANNOTATION.processDumpLocation];
  if (!dir) return [];
  for (const suffix of ["{container_id}", "{CONTAINER_ID}"]) if (dir.endsWith(suffix)) dir = dir.slice(0, -suffix.length) + id;
  const typeName = a[HCS_ANNOTATION.processDumpType] ?? "";
  const type = { "": 2, mini: 1, full: 2 }[typeName];
  if (type === undefined) throw new InvalidArgumentError(`annotations["${HCS_ANNOTATION.processDumpType}"]`, `unknown dump type "${typeName}": "mini" or "full"`);
  const countText = a[HCS_ANNOTATION.processDumpCount] ?? "10";
  const count = /^\d+$/.test(countText) ? Number(countText) : 0;
  if (count <= 0) throw new InvalidArgumentError(`annotations["${HCS_ANNOTATION.processDumpCount}"]`, `invalid dump count "${countText}"`);
  const key = { Hive: "Software" as const, Name: "Microsoft\\Windows\\Windows Error Reporting\\LocalDumps" };
  return [
    { Key: key, Name: "DumpFolder", StringValue: dir, Type: "String" },
    { Key: key, Name: "DumpType", DWordValue: type, Type: "DWord" },
    { Key: key, Name: "DumpCount", DWordValue: count, Type: "DWord" },
  ];
}

/** Devices assigned to a v2 container: a location path is a device instance, a class is an interface class. */
function assignedDevices(spec: Spec): NonNullable<V2Container["AssignedDevices"]> {
  return (spec.windows?.devices ?? []).map((d) => {
    if (d.idType === "vpci-location-path") return { Type: "DeviceInstance", LocationPath: d.id };
    if (d.idType === "class" || d.idType === "vpci-class-guid") return { InterfaceClassGuid: d.id };
    throw new InvalidArgumentError("devices", `device "${d.id}" has the unsupported type "${d.idType}"`);
  });
}

/** Both forms of the container document (hcsshim's createWindowsContainerDocument). */
export function windowsContainerDocuments(input: HcsContainerInput): { v1: V1ContainerConfig; v2: V2Container } {
  const { spec } = input;
  const mode = containerMode(input);
  const w = spec.windows;
  if (!w) throw new InvalidArgumentError("windows", "the spec has no windows section");
  const v1: V1ContainerConfig = { SystemType: "Container", Name: input.id, Owner: input.owner || undefined, Layers: null, HvPartition: false };
  if (w.ignoreFlushesDuringBoot) v1.IgnoreFlushesDuringBoot = true;
  const v2: V2Container = { Storage: {} };
  if (spec.hostname) {
    v1.HostName = spec.hostname;
    v2.GuestOs = { HostName: spec.hostname };
  }
  const cpu = cpuLimits(spec, input.hostingSystem?.processorCount ?? input.hostProcessorCount);
  if (cpu.count) v1.ProcessorCount = cpu.count;
  if (cpu.limit) v1.ProcessorMaximum = cpu.limit;
  if (cpu.weight) v1.ProcessorWeight = cpu.weight;
  v2.Processor = compact({ Count: cpu.count || undefined, Maximum: cpu.limit || undefined, Weight: cpu.weight || undefined });
  const mb = memoryMB(spec);
  if (mb > 0) {
    v1.MemoryMaximumInMB = mb;
    v2.Memory = { SizeInMB: mb };
  }
  const qos = storageQos(spec);
  if (qos.bandwidth > 0 || qos.iops > 0) {
    if (qos.bandwidth) v1.StorageBandwidthMaximum = qos.bandwidth;
    if (qos.iops) v1.StorageIOPSMaximum = qos.iops;
    v2.Storage!.QoS = compact({ BandwidthMaximum: qos.bandwidth || undefined, IopsMaximum: qos.iops || undefined });
  }
  if (w.network) {
    const n = w.network;
    if (n.endpointList?.length) v1.EndpointList = [...n.endpointList];
    if (n.allowUnqualifiedDNSQuery) v1.AllowUnqualifiedDNSQuery = true;
    if (n.DNSSearchList?.length) v1.DNSSearchList = n.DNSSearchList.join(",");
    if (n.networkSharedContainerName) v1.NetworkSharedContainerName = n.networkSharedContainerName;
    v2.Networking = compact({
      AllowUnqualifiedDnsQuery: v1.AllowUnqualifiedDNSQuery,
      DnsSearchList: v1.DNSSearchList,
      NetworkSharedContainerName: v1.NetworkSharedContainerName,
      Namespace: input.networkNamespace || undefined,
    });
  }
  if (typeof w.credentialSpec === "string") v1.Credentials = w.credentialSpec;
  if (!spec.root) throw new InvalidArgumentError("root", "the spec has no root: the container storage is not mounted");
  if (spec.root.readonly) throw new InvalidArgumentError("root.readonly", "a read-only root is not supported for Windows containers");
  const layers = input.layers.map((l) => ({ Id: l.id, Path: l.path }));
  if (mode === "argon-v1" || mode === "argon-v2") {
    let path = spec.root.path;
    if (!VOLUME_GUID_PATH.test(path)) throw new InvalidArgumentError("root.path", `"${path}" must be a volume GUID path like \\\\?\\Volume{GUID}\\`);
    if (!path.endsWith("\\")) path += "\\";
    v1.VolumePath = path.slice(0, -1);
    v2.Storage!.Path = path;
    v1.Layers = input.layers.map((l) => ({ ID: l.id, Path: l.path }));
    v2.Storage!.Layers = layers;
  } else if (mode === "xenon-v1") {
    // Schema 1 needs the layers for Hyper-V containers as well (its ContainerConfig says
    // "Required for Windows Server and Hyper-V Containers"); HCS builds the utility VM.
    v1.Layers = input.layers.map((l) => ({ ID: l.id, Path: l.path }));
    // hcsshim's first hcsoci (2018) named the scratch folder for every v1 container; with a
    // host volume (VolumePath) Argon no longer needs it, a v1 Xenon still does.
    if (input.layerFolderPath) v1.LayerFolderPath = input.layerFolderPath;
    v1.HvPartition = true;
    const image = w.hyperv?.utilityVMPath || input.utilityVmImagePath;
    if (!image) throw new InvalidArgumentError("windows.hyperv.utilityVMPath", "no utility VM image: neither the spec nor the layers name one");
    v1.HvRuntime = { ImagePath: image };
  } else {
    v2.Storage!.Path = spec.root.path;
    v2.Storage!.Layers = layers;
  }
  const m = mounts(input, mode);
  if (m.v1.length) v1.MappedDirectories = m.v1;
  if (m.v2.length) v2.MappedDirectories = m.v2;
  if (m.pipes.length) {
    v1.MappedPipes = m.pipes;
    v2.MappedPipes = m.pipes.map((p) => ({ ContainerPipeName: p.ContainerPipeName, HostPath: p.HostPath }));
  }
  if (mode === "argon-v2" || mode === "xenon-v2") {
    const devices = assignedDevices(spec);
    if (devices.length) v2.AssignedDevices = devices;
  }
  // Servercore waits WaitToKillServiceTimeout before killing services on shutdown; hcsshim
  // raises it so a graceful stop may take as long as the caller allows.
  const waitToKill: RegistryValue = {
    Key: { Hive: "System", Name: "ControlSet001\\Control" },
    Name: "WaitToKillServiceTimeout",
    StringValue: String(2 ** 31 - 1),
    Type: "String",
  };
  v2.RegistryChanges = { AddValues: [waitToKill, ...dumpRegistryValues(spec, input.id)] };
  return { v1, v2 };
}

/** The document given to HcsCreateComputeSystem for this container. */
export function containerComputeSystemDocument(input: HcsContainerInput): V1ContainerConfig | ComputeSystemDocument {
  const { v1, v2 } = windowsContainerDocuments(input);
  const mode = containerMode(input);
  if (mode === "argon-v1" || mode === "xenon-v1") return v1;
  if (mode === "xenon-v2") {
    return {
      HostingSystemId: input.hostingSystem!.id,
      Owner: input.owner,
      SchemaVersion: SCHEMA_V21,
      ShouldTerminateOnLastHandleClosed: true,
      HostedSystem: { SchemaVersion: SCHEMA_V21, Container: v2 },
    };
  }
  return { Owner: input.owner, SchemaVersion: SCHEMA_V21, ShouldTerminateOnLastHandleClosed: true, Container: v2 };
}
