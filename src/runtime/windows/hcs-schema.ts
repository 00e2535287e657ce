/**
 * The parts of the HCS JSON schemas skiff writes. Field names and spelling are HCS's own
 * (hcsshim internal/hcs/schema1 and schema2 carry the same). Schema 1 writes some fields
 * even when empty (`SystemType`, `Name`, `Layers`, `HvPartition`, every field of a mapped
 * directory); schema 2 leaves every empty field out. The builders keep to that, so the
 * documents are byte-for-byte what hcsshim sends for the same inputs once key order is set
 * aside.
 */

export type SchemaVersion = { Major: number; Minor: number };
export const SCHEMA_V10: SchemaVersion = { Major: 1, Minor: 0 };
export const SCHEMA_V21: SchemaVersion = { Major: 2, Minor: 1 };

/** Schema 1 `ContainerConfig` (HcsCreateComputeSystem with a v1 document). */
export type V1ContainerConfig = {
  SystemType: "Container";
  Name: string;
  Owner?: string;
  VolumePath?: string;
  IgnoreFlushesDuringBoot?: boolean;
  LayerFolderPath?: string;
  Layers: { ID: string; Path: string }[] | null;
  Credentials?: string;
  ProcessorCount?: number;
  ProcessorWeight?: number;
  ProcessorMaximum?: number;
  StorageIOPSMaximum?: number;
  StorageBandwidthMaximum?: number;
  MemoryMaximumInMB?: number;
  HostName?: string;
  MappedDirectories?: V1MappedDir[];
  MappedPipes?: { HostPath: string; ContainerPipeName: string }[];
  HvPartition: boolean;
  NetworkSharedContainerName?: string;
  EndpointList?: string[];
  HvRuntime?: { ImagePath?: string };
  AllowUnqualifiedDNSQuery?: boolean;
  DNSSearchList?: string;
};

export type V1MappedDir = {
  HostPath: string;
  ContainerPath: string;
  ReadOnly: boolean;
  BandwidthMaximum: number;
  IOPSMaximum: number;
  CreateInUtilityVM: boolean;
};

export type V2Layer = { Id: string; Path: string };

export type RegistryValue = {
  Key: { Hive: "System" | "Software"; Name: string };
  Name: string;
  Type: "String" | "DWord";
  StringValue?: string;
  DWordValue?: number;
};

/** Schema 2 `Container`. */
export type V2Container = {
  GuestOs?: { HostName: string };
  Storage?: { Layers?: V2Layer[]; Path?: string; QoS?: { IopsMaximum?: number; BandwidthMaximum?: number } };
  MappedDirectories?: { HostPath?: string; ContainerPath?: string; ReadOnly?: boolean }[];
  MappedPipes?: { ContainerPipeName?: string; HostPath?: string }[];
  Memory?: { SizeInMB?: number };
  Processor?: { Count?: number; Maximum?: number; Weight?: number };
  Networking?: { AllowUnqualifiedDnsQuery?: boolean; DnsSearchList?: string; NetworkSharedContainerName?: string; Namespace?: string };
  RegistryChanges?: { AddValues?: RegistryValue[] };
  AssignedDevices?: { Type?: string; InterfaceClassGuid?: string; LocationPath?: string }[];
};

/** Schema 2 `ComputeSystem`: a container, a utility VM, or a container hosted in one. */
export type ComputeSystemDocument = {
  Owner?: string;
  SchemaVersion?: SchemaVersion;
  HostingSystemId?: string;
  HostedSystem?: { SchemaVersion: SchemaVersion; Container: V2Container };
  Container?: V2Container;
  VirtualMachine?: Record<string, unknown>;
  ShouldTerminateOnLastHandleClosed?: boolean;
};

/** Schema 2 `ProcessParameters` (HcsCreateProcess). */
export type ProcessParameters = {
  CommandLine?: string;
  User?: string;
  WorkingDirectory?: string;
  Environment?: Record<string, string>;
  EmulateConsole?: boolean;
  CreateStdInPipe?: boolean;
  CreateStdOutPipe?: boolean;
  CreateStdErrPipe?: boolean;
  ConsoleSize?: [number, number];
};

/** Drops the keys whose value is undefined, so JSON has no `"X": undefined` left to disagree on. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
