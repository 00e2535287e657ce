/** What the Windows sandbox and container managers share. */
import * as path from "node:path";
import type { Logger } from "../../logger.ts";
import type { Config } from "../../config/index.ts";
import type { ImageManager } from "../../image/image-manager.ts";
import type { CniNetwork } from "../../network/cni-network.ts";
import type { WindowsHost } from "../../platform/windows-host.ts";
import type { PodEvents, PodEventType } from "../../sandbox/pod-events.ts";
import type { Clock, Store } from "../../store/index.ts";
import type { ComputeSystems } from "./compute-systems.ts";
import type { UtilityVm } from "./utility-vm.ts";
import type { WindowsHandlers } from "./windows-handlers.ts";

export type WindowsPodContext = {
  config: Config;
  store: Store;
  images: ImageManager;
  host: WindowsHost;
  network: CniNetwork;
  handlers: WindowsHandlers;
  systems: ComputeSystems;
  /** The utility VMs of the running Hyper-V isolated pods, by pod id. */
  vms: Map<string, UtilityVm>;
  /** The owner of every compute system: the executable's file name, as hcsshim defaults it. */
  owner: string;
  /** The Windows build (the third part of the OS version). */
  hostBuild: number;
  clock: Clock;
  log: Logger;
  events?: PodEvents;
};

/** Where a sandbox's or container's things live; all derive from the id. */
export type WindowsPaths = {
  /** The spec and HCS document (volatile state). */
  bundle: string;
  /** The scratch layer folder: its name (the id) gives the layer its GUID. */
  scratch: string;
};

export function windowsPaths(dirs: { root: string; state: string }, id: string): WindowsPaths {
  return { bundle: path.join(dirs.state, "containers", id), scratch: path.join(dirs.root, "scratch", id) };
}

export function emitEvent(ctx: Pick<WindowsPodContext, "events" | "clock">, id: string, sandboxId: string, type: PodEventType): void {
  ctx.events?.emit({ id, sandboxId, type, at: ctx.clock() });
}
