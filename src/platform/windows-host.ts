/**
 * The Windows part of the platform seam: the Host Compute Service (computecore.dll), the
 * container layer calls (vmcompute.dll), HNS (vmcompute.dll `HNSCall`) and a few host facts.
 * Only a Windows platform has it (`Platform.windows`): the real one in `windows/` and the
 * fake in `fake/`, which records every call and can fail any of them, so the Windows pod
 * code runs on Linux against the fake.
 *
 * Each method is one DLL call (with its HCS operation and wait folded in) and is named
 * after the export in the call log. The calls that block (every HCS operation wait, the
 * layer calls, HNS) are async: the real implementation runs them in a Worker, never on the
 * JS thread. JSON documents go in and come out as text, exactly as the DLL sees them.
 */

/** An open HCS_SYSTEM handle. `handle` is opaque outside the platform. */
export type HcsSystem = { readonly kind: "system"; readonly id: string; readonly handle: number };

/** A stream end of a process's stdio, as HCS hands it out (an anonymous pipe). */
export interface PipeReader {
  /** The next chunk, or null at end of file (the writer closed its end). */
  read(): Promise<Uint8Array | null>;
  close(): void;
}

export interface PipeWriter {
  write(data: Uint8Array): Promise<void>;
  close(): void;
}

/** An open HCS_PROCESS handle with the stdio pipes it was created with. */
export type HcsProcess = {
  readonly kind: "process";
  readonly systemId: string;
  readonly pid: number;
  readonly handle: number;
  readonly stdin?: PipeWriter;
  readonly stdout?: PipeReader;
  readonly stderr?: PipeReader;
};

/** HCS `ProcessStatus`, as HcsGetProcessProperties answers. */
export type HcsProcessStatus = { ProcessId?: number; Exited?: boolean; ExitCode?: number; LastWaitResult?: number };

/** The compute system calls of computecore.dll (https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/apioverview). */
export interface Hcs {
  /** HcsCreateComputeSystem with `configuration` (a schema 1 or 2 JSON document). */
  createComputeSystem(id: string, configuration: string): Promise<HcsSystem>;
  /** HcsOpenComputeSystem (GENERIC_ALL): a handle to a system made earlier (after a restart). */
  openComputeSystem(id: string): Promise<HcsSystem>;
  startComputeSystem(system: HcsSystem, options?: string): Promise<void>;
  shutDownComputeSystem(system: HcsSystem, options?: string): Promise<void>;
  terminateComputeSystem(system: HcsSystem, options?: string): Promise<void>;
  /** HcsModifyComputeSystem with a ModifySettingRequest document. */
  modifyComputeSystem(system: HcsSystem, configuration: string): Promise<void>;
  /** HcsGetComputeSystemProperties: the properties document, as text. */
  getComputeSystemProperties(system: HcsSystem, query: string): Promise<string>;
  closeComputeSystem(system: HcsSystem): void;
  /** HcsCreateProcess with a ProcessParameters document; stdio pipes as asked for in it. */
  createProcess(system: HcsSystem, parameters: string): Promise<HcsProcess>;
  getProcessProperties(process: HcsProcess): Promise<HcsProcessStatus>;
  /** HcsSignalProcess with SignalProcessOptions (`{"Signal":"CtrlShutdown"}`). */
  signalProcess(process: HcsProcess, options: string): Promise<void>;
  terminateProcess(process: HcsProcess): Promise<void>;
  /** HcsCloseProcess; also closes the process's stdio pipes. */
  closeProcess(process: HcsProcess): void;
}

/**
 * vmcompute.dll's container layer calls. A layer is named by its folder path; parents are
 * listed nearest first (the layer right below, down to the base layer), as hcsshim does.
 */
export interface WindowsLayerCalls {
  /** NameToGuid: the GUID HCS knows a layer by, from its folder's name (hcsshim's LayerID). */
  nameToGuid(name: string): Promise<string>;
  /** ImportLayer: turns a staged folder (Files/, Hives/, tombstones.txt) into layer `layerPath` over its parents. */
  importLayer(layerPath: string, importFolder: string, parentLayerPaths: readonly string[]): Promise<void>;
  /** ProcessBaseImage: finishes a base layer whose files were written straight into `layerPath`. */
  processBaseImage(layerPath: string): Promise<void>;
  /** ProcessUtilityImage: prepares a base layer's UtilityVM folder for Hyper-V isolation. */
  processUtilityImage(utilityVmPath: string): Promise<void>;
  /** GrantVmAccess: lets the utility VM `vmId` open `filePath` (a VHD it boots from or mounts). */
  grantVmAccess(vmId: string, filePath: string): Promise<void>;
  /** CreateSandboxLayer: a container's scratch (sandbox.vhdx) over its image layers. */
  createSandboxLayer(layerPath: string, parentLayerPaths: readonly string[]): Promise<void>;
  /** ExpandSandboxSize: grows the scratch to `sizeBytes`. */
  expandSandboxSize(layerPath: string, sizeBytes: number): Promise<void>;
  activateLayer(layerPath: string): Promise<void>;
  prepareLayer(layerPath: string, parentLayerPaths: readonly string[]): Promise<void>;
  /** GetLayerMountPath: the volume path (`\\?\Volume{...}\`) of an activated, prepared scratch. */
  getLayerMountPath(layerPath: string): Promise<string>;
  unprepareLayer(layerPath: string): Promise<void>;
  deactivateLayer(layerPath: string): Promise<void>;
  destroyLayer(layerPath: string): Promise<void>;
}

/** The Host Network Service, through vmcompute.dll's HNSCall. */
export interface Hns {
  /** HNSCall(method, path, request): the response document (`{"Success":..,"Error":..,"Output":..}`). */
  call(method: "GET" | "POST" | "DELETE", path: string, request: string): Promise<string>;
}

/**
 * The Host Compute Network service's v2 API (computenetwork.dll), for the documents HNS's
 * v1 HNSCall does not give in HCN's shape: a namespace and an endpoint as a utility VM's
 * guest is handed them.
 */
export interface Hcn {
  /** HcnOpenNamespace, HcnQueryNamespaceProperties with the default query, HcnCloseNamespace: the namespace document. */
  queryNamespace(id: string): Promise<string>;
  /** The same for an endpoint: its document (MacAddress, IpConfigurations...). */
  queryEndpoint(id: string): Promise<string>;
}

export interface WindowsHost {
  readonly hcs: Hcs;
  readonly layers: WindowsLayerCalls;
  readonly hns: Hns;
  readonly hcn: Hcn;
  /** The host's version as `major.minor.build.revision` (what an image's `os.version` says). */
  osVersion(): string;
  /** Logical processors of the host (HCS CPU limits are relative to them). */
  processorCount(): number;
  /**
   * Replaces the DACL of the named pipe `path` (which this process listens on) with the
   * protected one `sddl` describes.
   */
  restrictPipe(path: string, sddl: string): void;
  /**
   * Runs as the Windows service `name`: `start` when the Service Control Manager starts
   * it, `stop` when it asks to stop; resolves once the SCM knows it stopped. Absent
   * where there is no SCM (the fake host).
   */
  runAsService?(name: string, hooks: { start(): Promise<void>; stop(): Promise<void>; onError(err: unknown): void }): Promise<void>;
}

/** Names of the calls recorded in a call log (the DLL export each one stands for). */
export type WindowsCallName =
  | "HcsCreateComputeSystem"
  | "HcsOpenComputeSystem"
  | "HcsStartComputeSystem"
  | "HcsShutDownComputeSystem"
  | "HcsTerminateComputeSystem"
  | "HcsModifyComputeSystem"
  | "HcsGetComputeSystemProperties"
  | "HcsCloseComputeSystem"
  | "HcsCreateProcess"
  | "HcsGetProcessProperties"
  | "HcsSignalProcess"
  | "HcsTerminateProcess"
  | "HcsCloseProcess"
  | "NameToGuid"
  | "GrantVmAccess"
  | LayerCallName
  | "HNSCall"
  | "HcnQueryNamespaceProperties"
  | "HcnQueryEndpointProperties";

/** The vmcompute.dll layer calls that take a DriverInfo and a layer path. */
export type LayerCallName =
  | "ImportLayer"
  | "ProcessBaseImage"
  | "ProcessUtilityImage"
  | "CreateSandboxLayer"
  | "ExpandSandboxSize"
  | "ActivateLayer"
  | "PrepareLayer"
  | "GetLayerMountPath"
  | "UnprepareLayer"
  | "DeactivateLayer"
  | "DestroyLayer";
