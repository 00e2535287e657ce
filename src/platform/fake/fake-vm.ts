/**
 * What a fake utility VM holds, and the ModifySettingRequests (HcsModifyComputeSystem)
 * that change it, checked the way HCS and the guest would refuse them: a SCSI LUN taken
 * twice, a guest mount of a LUN that is not attached, layers combined onto a path that is
 * not mounted or from a share that is not there, a NIC added without its pre-add, a
 * removal of something never added. Container systems take the two resource updates
 * (`Container/Processor`, `Container/Memory/SizeInMB`).
 */
import * as fs from "node:fs";

const E_INVALIDARG = 0x80070057;
const ERROR_FILE_NOT_FOUND = 0x80070002;
const HCS_E_INVALID_STATE = 0x80370105;

/** Where a utility VM sees its VSMB shares (hcsshim uvm/vsmb.go). */
export const VSMB_SHARE_PREFIX = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";

export class FakeModifyError extends Error {
  constructor(
    readonly hresult: number,
    message: string,
  ) {
    super(message);
  }
}

const fail = (hresult: number, message: string): never => {
  throw new FakeModifyError(hresult, message);
};

type Share = { path: string; noDirectMap: boolean };
type Request = { ResourcePath?: string; RequestType?: string; Settings?: unknown; GuestRequest?: { ResourceType?: string; RequestType?: string; Settings?: unknown } };
type Obj = Record<string, unknown>;

export class FakeVm {
  readonly shares = new Map<string, Share>();
  /** Hot-added SCSI attachments, `controller-guid/lun` → VHD path. */
  readonly scsi = new Map<string, string>();
  /** Guest mounts of SCSI disks, by guest path (case-insensitive) → LUN. */
  readonly mounts = new Map<string, number>();
  /** Combined layers in the guest, by container root path (case-insensitive) → layer paths. */
  readonly combined = new Map<string, string[]>();
  readonly pipes = new Set<string>();
  readonly namespaces = new Set<string>();
  readonly preAdded = new Set<string>();
  /** NICs by adapter id → endpoint id. */
  readonly nics = new Map<string, string>();

  /** The SCSI attachments its document made at creation (the VM's own scratch): never hot-removed. */
  constructor(document: Obj) {
    const scsi = ((document.VirtualMachine as Obj | undefined)?.Devices as Obj | undefined)?.Scsi as Record<string, { Attachments?: Record<string, { Path?: string }> }> | undefined;
    for (const [ctrl, c] of Object.entries(scsi ?? {})) for (const lun of Object.keys(c.Attachments ?? {})) this.booted.add(`${ctrl}/${lun}`);
  }

  readonly booted = new Set<string>();

  /** What a teardown must have given back: hot-added disks, mounts, layers, pipes, NICs, namespaces, shares not direct-mapped. */
  leaks(id: string): string[] {
    return [
      ...[...this.scsi.keys()].map((k) => `SCSI attachment ${k} in "${id}"`),
      ...[...this.mounts.keys()].map((p) => `guest mount ${p} in "${id}"`),
      ...[...this.combined.keys()].map((p) => `combined layers at ${p} in "${id}"`),
      ...[...this.pipes].map((p) => `mapped pipe ${p} in "${id}"`),
      ...[...this.nics.keys()].map((n) => `NIC ${n} in "${id}"`),
      ...[...this.namespaces].map((n) => `guest namespace ${n} in "${id}"`),
      // Direct-mapped shares stay until the VM stops (HCS cannot take them back while the guest may map their files).
      ...[...this.shares].filter(([, s]) => s.noDirectMap).map(([n]) => `VSMB share ${n} in "${id}"`),
    ];
  }

  /** The host path behind a guest path of a share (`\\?\VMSMB\VSMB-{...}\s1`), or undefined. */
  shareOf(guestPath: string): string | undefined {
    if (!guestPath.startsWith(VSMB_SHARE_PREFIX)) return undefined;
    const name = guestPath.slice(VSMB_SHARE_PREFIX.length).split("\\")[0] ?? "";
    return this.shares.get(name)?.path;
  }

  hasCombined(root: string): boolean {
    return this.combined.has(root.toLowerCase());
  }

  modify(req: Request): void {
    const path = req.ResourcePath ?? "";
    if (path !== "") this.#host(path, req.RequestType ?? "", (req.Settings ?? {}) as Obj, req.GuestRequest);
    else if (req.GuestRequest) this.#guest(req.GuestRequest);
    else fail(E_INVALIDARG, "a modify request needs a ResourcePath or a GuestRequest");
  }

  #host(path: string, type: string, settings: Obj, guest: Request["GuestRequest"]): void {
    const add = type === "Add";
    if (!add && type !== "Remove") fail(E_INVALIDARG, `request type "${type}" is not supported for ${path}`);
    if (path === "VirtualMachine/Devices/VirtualSmb/Shares") {
      const name = String(settings.Name ?? "");
      if (!add) return void (this.shares.delete(name) || fail(ERROR_FILE_NOT_FOUND, `no VSMB share "${name}"`));
      if (this.shares.has(name)) fail(HCS_E_INVALID_STATE, `VSMB share "${name}" exists`);
      if (!fs.existsSync(String(settings.Path))) fail(ERROR_FILE_NOT_FOUND, `VSMB share path "${String(settings.Path)}" does not exist`);
      this.shares.set(name, { path: String(settings.Path), noDirectMap: (settings.Options as Obj | undefined)?.NoDirectmap === true });
      return;
    }
    let m = /^VirtualMachine\/Devices\/Scsi\/([0-9a-f-]{36})\/Attachments\/(\d+)$/.exec(path);
    if (m) {
      const key = `${m[1]}/${m[2]}`;
      if (!add) return void (this.scsi.delete(key) || fail(ERROR_FILE_NOT_FOUND, `nothing attached at ${key}`));
      if (this.scsi.has(key) || this.booted.has(key)) fail(HCS_E_INVALID_STATE, `SCSI ${key} is in use`);
      if (!fs.existsSync(String(settings.Path))) fail(ERROR_FILE_NOT_FOUND, `VHD "${String(settings.Path)}" does not exist`);
      this.scsi.set(key, String(settings.Path));
      return;
    }
    m = /^VirtualMachine\/Devices\/MappedPipes\/(.+)$/.exec(path);
    if (m) {
      if (!add) return void (this.pipes.delete(m[1]!) || fail(ERROR_FILE_NOT_FOUND, `no mapped pipe ${m[1]}`));
      this.pipes.add(m[1]!);
      return;
    }
    m = /^VirtualMachine\/Devices\/NetworkAdapters\/(.+)$/.exec(path);
    if (m) {
      const id = m[1]!;
      const g = (guest?.Settings ?? {}) as Obj;
      // hcsshim's removal of a Windows NIC sends its guest part without a ResourceType; the add has one.
      if (g.AdapterId !== id || g.RequestType !== type || (add && guest?.ResourceType !== "Network")) fail(E_INVALIDARG, `NIC ${id}: the guest part is missing or wrong`);
      if (!add) return void (this.nics.delete(id) || fail(ERROR_FILE_NOT_FOUND, `no NIC ${id}`));
      if (!this.preAdded.delete(id)) fail(HCS_E_INVALID_STATE, `NIC ${id} was not pre-added in the guest`);
      this.nics.set(id, String(settings.EndpointId ?? ""));
      return;
    }
    fail(E_INVALIDARG, `unknown resource path "${path}"`);
  }

  #guest(g: NonNullable<Request["GuestRequest"]>): void {
    const s = (g.Settings ?? {}) as Obj;
    const add = g.RequestType === "Add";
    if (!add && g.RequestType !== "Remove") fail(E_INVALIDARG, `guest request type "${g.RequestType}" is not supported`);
    switch (g.ResourceType) {
      case "MappedVirtualDisk": {
        const at = String(s.ContainerPath ?? "").toLowerCase();
        if (!add) return void (this.mounts.delete(at) || fail(ERROR_FILE_NOT_FOUND, `nothing mounted at ${at}`));
        const lun = Number(s.Lun ?? 0);
        if (![...this.scsi.keys(), ...this.booted].some((k) => k.endsWith(`/${lun}`))) fail(ERROR_FILE_NOT_FOUND, `no disk at LUN ${lun}`);
        if (this.mounts.has(at)) fail(HCS_E_INVALID_STATE, `${at} is mounted already`);
        this.mounts.set(at, lun);
        return;
      }
      case "CombinedLayers": {
        const root = String(s.ContainerRootPath ?? "").toLowerCase();
        if (!add) return void (this.combined.delete(root) || fail(ERROR_FILE_NOT_FOUND, `no combined layers at ${root}`));
        if (!this.mounts.has(root)) fail(ERROR_FILE_NOT_FOUND, `${root} is not a mounted disk`);
        const layers = ((s.Layers ?? []) as { Path?: string }[]).map((l) => String(l.Path ?? ""));
        for (const l of layers) if (!this.shareOf(l)) fail(ERROR_FILE_NOT_FOUND, `layer ${l} is no VSMB share`);
        this.combined.set(root, layers);
        return;
      }
      case "NetworkNamespace": {
        const id = String(s.ID ?? "");
        if (!add) return void (this.namespaces.delete(id) || fail(ERROR_FILE_NOT_FOUND, `no guest namespace ${id}`));
        this.namespaces.add(id);
        return;
      }
      case "Network": {
        if (s.RequestType !== "PreAdd") fail(E_INVALIDARG, "a guest-only network request must be a PreAdd");
        this.preAdded.add(String(s.AdapterId ?? ""));
        return;
      }
      default:
        fail(E_INVALIDARG, `unknown guest resource type "${String(g.ResourceType)}"`);
    }
  }
}

/** A container's resource updates (hcsshim's silo resource paths), recorded as applied. */
export function modifyContainer(updates: { path: string; settings: unknown }[], req: Request): void {
  const path = req.ResourcePath ?? "";
  if (req.RequestType !== "Update") fail(E_INVALIDARG, `a container takes Update requests, not "${String(req.RequestType)}"`);
  if (path === "Container/Memory/SizeInMB") {
    if (typeof req.Settings !== "number" || req.Settings <= 0) fail(E_INVALIDARG, "the memory size must be a positive number of MB");
  } else if (path === "Container/Processor") {
    const p = (req.Settings ?? {}) as Obj;
    if (["Count", "Maximum", "Weight"].filter((k) => p[k] !== undefined).length !== 1) fail(E_INVALIDARG, "exactly one of Count, Maximum and Weight");
  } else fail(E_INVALIDARG, `unknown resource path "${path}"`);
  updates.push({ path, settings: req.Settings });
}
