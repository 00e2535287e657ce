/**
 * A running Windows utility VM (a Hyper-V isolated pod's sandbox) and what is hot-added to
 * it, after hcsshim's internal/uvm: VSMB shares (ref-counted by host path and read-only-ness,
 * named `s1`, `s2`... in hex), SCSI disks on controller 0 (LUN 0 is the VM's own scratch),
 * guest mounts of them at `c:\mounts\scsi\m<n>`, combined layers, mapped pipes, and the
 * pod's network namespace with a NIC per HNS endpoint.
 *
 * skiff talks to the guest through HCS (the guest part of each ModifySettingRequest goes
 * with the host part to HcsModifyComputeSystem), not over an hvsocket bridge of its own as
 * hcsshim's shim does today; HCS brokering the guest connection is what hcsshim does when
 * it has no external bridge. Every add returns its release; callers release in reverse.
 */
import type { HcsSystem, WindowsHost } from "../../platform/windows-host.ts";
import {
  combineLayers,
  guestNamespace,
  mappedDisk,
  mappedPipe,
  type ModifyRequest,
  nicAdd,
  nicPreAdd,
  nicRemove,
  removeCombinedLayers,
  scsiAttach,
  scsiDetach,
  scsiMountPath,
  VSMB_SHARE_PREFIX,
  vsmbAdd,
  vsmbOptions,
  vsmbRemove,
} from "./uvm-requests.ts";

export type Release = () => Promise<void>;
type Share = { name: string; refs: number; noDirectMap: boolean };
type Nic = { adapter: string; endpoint: string; mac: string };

/** HCN's documents, as far as skiff reads them. */
type HcnNamespace = { ID?: string; Resources?: { Type?: string; Data?: { ID?: string } }[] };
type HcnEndpoint = { ID?: string; Name?: string; MacAddress?: string };
type GuestConnection = { GuestConnectionInfo?: { GuestDefinedCapabilities?: { NamespaceAddRequestSupported?: boolean } } };

/** The utility VM of pod `podId` is the compute system `<podId>@vm`, as hcsshim names it. */
export const utilityVmId = (podId: string): string => `${podId}@vm`;

/** The guest-connection query hcsshim makes once the VM runs. */
export const GUEST_CONNECTION_QUERY = JSON.stringify({ PropertyTypes: ["GuestConnection"] });

export class UtilityVm {
  #system: HcsSystem | undefined;
  readonly #shares = new Map<string, Share>();
  #shareCount = 0;
  readonly #luns = new Set<number>([0]);
  readonly #mountSlots: boolean[] = [];
  #namespace: { id: string; doc: unknown; nics: Nic[] } | undefined;
  #namespaceSupported = false;

  constructor(
    private readonly host: Pick<WindowsHost, "hcs" | "layers" | "hcn">,
    readonly id: string,
    readonly processorCount: number,
    private readonly noDirectMap: boolean,
    private readonly newId: () => string = () => crypto.randomUUID(),
  ) {}

  get system(): HcsSystem | undefined {
    return this.#system;
  }

  /** HcsCreateComputeSystem, HcsStartComputeSystem, then the guest's capabilities. */
  async createAndStart(document: string): Promise<void> {
    this.#system = await this.host.hcs.createComputeSystem(this.id, document);
    await this.host.hcs.startComputeSystem(this.#system);
    const props = JSON.parse(await this.host.hcs.getComputeSystemProperties(this.#system, GUEST_CONNECTION_QUERY)) as GuestConnection;
    this.#namespaceSupported = props.GuestConnectionInfo?.GuestDefinedCapabilities?.NamespaceAddRequestSupported === true;
  }

  /** Terminates the VM (what stops a pod; everything in it goes with it) and closes its handle. */
  async terminate(): Promise<void> {
    const s = this.#system;
    if (!s) return;
    this.#system = undefined;
    try {
      await this.host.hcs.terminateComputeSystem(s);
    } finally {
      this.host.hcs.closeComputeSystem(s);
    }
  }

  /** A release after the VM is gone has nothing left to do: its devices went with it. */
  async #modify(req: ModifyRequest, releasing = false): Promise<void> {
    if (!this.#system) {
      if (releasing) return;
      throw new Error(`utility VM "${this.id}" is not running`);
    }
    await this.host.hcs.modifyComputeSystem(this.#system, JSON.stringify(req));
  }

  /**
   * Shares a host directory into the VM (or takes another reference on its share); the
   * path the guest sees it at. A direct-mapped share is never taken back while the VM
   * runs (the guest may still map its files, hcsshim says), only forgotten at zero.
   */
  async addShare(hostPath: string, readOnly: boolean, takeBackup = false): Promise<{ guestPath: string; release: Release }> {
    const key = `${hostPath}-${readOnly}`;
    let share = this.#shares.get(key);
    if (!share) {
      const name = `s${(++this.#shareCount).toString(16)}`;
      await this.#modify(vsmbAdd(name, hostPath, vsmbOptions(readOnly, this.noDirectMap, takeBackup)));
      share = { name, refs: 0, noDirectMap: this.noDirectMap };
      this.#shares.set(key, share);
    }
    share.refs++;
    const held = share;
    return {
      guestPath: `${VSMB_SHARE_PREFIX}${held.name}`,
      release: async () => {
        if (--held.refs > 0 || !held.noDirectMap) return;
        await this.#modify(vsmbRemove(held.name), true);
        this.#shares.delete(key);
      },
    };
  }

  /**
   * A container's scratch VHD: access granted to the VM, hot-added on the first free LUN
   * and mounted by the guest; the guest path of the mount.
   */
  async attachScratch(vhdPath: string): Promise<{ guestPath: string; release: Release }> {
    await this.host.layers.grantVmAccess(this.id, vhdPath);
    let lun = 1;
    while (this.#luns.has(lun)) lun++;
    if (lun >= 64) throw new Error(`utility VM "${this.id}" has no free SCSI LUN`);
    await this.#modify(scsiAttach(lun, vhdPath));
    this.#luns.add(lun);
    const detach = async () => {
      await this.#modify(scsiDetach(lun), true);
      this.#luns.delete(lun);
    };
    let slot = this.#mountSlots.indexOf(false);
    if (slot < 0) slot = this.#mountSlots.length;
    const guestPath = scsiMountPath(slot);
    try {
      await this.#modify(mappedDisk("Add", guestPath, lun));
    } catch (err) {
      await detach().catch(() => {});
      throw err;
    }
    this.#mountSlots[slot] = true;
    return {
      guestPath,
      release: async () => {
        await this.#modify(mappedDisk("Remove", guestPath, lun), true);
        this.#mountSlots[slot] = false;
        await detach();
      },
    };
  }

  async combineLayers(root: string, layers: readonly { Id: string; Path: string }[]): Promise<Release> {
    await this.#modify(combineLayers(root, layers));
    return () => this.#modify(removeCombinedLayers(root), true);
  }

  async addPipe(hostPath: string): Promise<Release> {
    await this.#modify(mappedPipe("Add", hostPath));
    return () => this.#modify(mappedPipe("Remove", hostPath), true);
  }

  /**
   * The pod's namespace in the guest, with a NIC for each of its endpoints (the one named
   * `...eth0` first); undone as far as it got when a step fails.
   */
  async addNetwork(namespaceId: string): Promise<void> {
    const doc = JSON.parse(await this.host.hcn.queryNamespace(namespaceId)) as HcnNamespace;
    const ids = (doc.Resources ?? []).filter((r) => r.Type === "Endpoint" && r.Data?.ID).map((r) => r.Data!.ID!);
    const endpoints: { id: string; doc: HcnEndpoint }[] = [];
    for (const id of ids) endpoints.push({ id, doc: JSON.parse(await this.host.hcn.queryEndpoint(id)) as HcnEndpoint });
    endpoints.sort((a, b) => Number((b.doc.Name ?? "").endsWith("eth0")) - Number((a.doc.Name ?? "").endsWith("eth0")));
    if (this.#namespaceSupported) await this.#modify(guestNamespace("Add", doc));
    this.#namespace = { id: namespaceId, doc, nics: [] };
    try {
      for (const ep of endpoints) {
        const nic = { adapter: this.newId(), endpoint: ep.id, mac: ep.doc.MacAddress ?? "" };
        await this.#modify(nicPreAdd(nic.adapter, ep.doc));
        await this.#modify(nicAdd(nic.adapter, nic.endpoint, nic.mac));
        this.#namespace.nics.push(nic);
      }
    } catch (err) {
      await this.removeNetwork().catch(() => {});
      throw err;
    }
  }

  /** Removes the NICs, then the namespace from the guest; nothing to do when none was added. */
  async removeNetwork(): Promise<void> {
    const ns = this.#namespace;
    if (!ns || !this.#system) return;
    for (const nic of [...ns.nics]) {
      await this.#modify(nicRemove(nic.adapter, nic.endpoint, nic.mac));
      ns.nics.splice(ns.nics.indexOf(nic), 1);
    }
    if (this.#namespaceSupported) await this.#modify(guestNamespace("Remove", ns.doc));
    this.#namespace = undefined;
  }
}
