/**
 * Builds the pod side of the daemon on a Windows platform (the real one, or the fake in
 * `skiff serve --platform windows-fake`): CNI, the hcs runtime handlers, the compute
 * systems and the sandbox and container managers, then recovers what a previous run left.
 */
import type { Logger } from "../../logger.ts";
import type { Config } from "../../config/index.ts";
import type { Pods } from "../../cri/context.ts";
import type { ImageManager } from "../../image/image-manager.ts";
import { cniNetworkOf } from "../../network/cni-from-config.ts";
import type { WindowsHost } from "../../platform/windows-host.ts";
import { PodEvents } from "../../sandbox/pod-events.ts";
import { newId } from "../../sandbox/new-id.ts";
import type { Clock, Store } from "../../store/index.ts";
import { ComputeSystems } from "./compute-systems.ts";
import { baseName } from "./hcs-create.ts";
import { buildOf } from "./schema-version.ts";
import { WindowsContainers } from "./windows-containers.ts";
import { WindowsHandlers } from "./windows-handlers.ts";
import type { WindowsPodContext } from "./windows-pod-context.ts";
import { WindowsSandboxes } from "./windows-sandboxes.ts";

export type WindowsPodDeps = {
  config: Config;
  store: Store;
  images: ImageManager;
  host: WindowsHost;
  clock: Clock;
  log: Logger;
  /** The executable's path: its name is the owner of every compute system. */
  executable: string;
};

export async function createWindowsPods(deps: WindowsPodDeps, observeExec?: (command: string, verb: string, seconds: number) => void) {
  const { config, host } = deps;
  // The default conflist is a Linux bridge: Windows networks come from the operator's CNI.
  const network = cniNetworkOf(config, { log: deps.log, observe: observeExec, writeDefault: false });
  await network.init();
  const hostBuild = buildOf(host.osVersion());
  const systems = new ComputeSystems({
    host,
    hostBuild,
    hostProcessorCount: host.processorCount(),
    executable: deps.executable,
    newId,
    clock: deps.clock,
    warn: (m) => deps.log.warn(m),
  });
  const events = new PodEvents();
  const ctx: WindowsPodContext = { ...deps, network, handlers: WindowsHandlers.load(config), systems, hostBuild, events, vms: new Map(), owner: baseName(deps.executable) };
  const sandboxes = new WindowsSandboxes(ctx);
  const containers = new WindowsContainers(ctx, sandboxes);
  await containers.recover();
  await sandboxes.recover();
  const pods: Pods = { sandboxes, containers, events };
  return { ...pods, network };
}
