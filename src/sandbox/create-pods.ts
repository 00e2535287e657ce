/**
 * Builds the pod side of the daemon on Linux: the CNI network, the runtime handlers and
 * the sandbox and container managers, then recovers what a previous run left.
 */
import type { Pods } from "../cri/context.ts";
import { ContainerManager } from "../container/container-manager.ts";
import { cniNetworkOf } from "../network/cni-from-config.ts";
import type { SpecHostFacts } from "../oci/host.ts";
import { RuntimeHandlers } from "../runtime/runtime-handlers.ts";
import type { HandlerFeatures } from "../runtime/runtime-features.ts";
import { readSpecHostFacts } from "../runtime/spec-host-reads.ts";
import type { PodContext } from "./pod-context.ts";
import { PodEvents } from "./pod-events.ts";
import { SandboxManager } from "./sandbox-manager.ts";

type PodDeps = Omit<PodContext, "network" | "handlers" | "specHost">;

export type PodsHandle = Pods & { network: PodContext["network"]; runtimeFeatures: Record<string, HandlerFeatures> };

/** `observeExec` hears how long each runtime and CNI plugin run took (for metrics). */
export async function createPods(deps: PodDeps, observeExec?: (command: string, verb: string, seconds: number) => void): Promise<PodsHandle> {
  const { config } = deps;
  const network = cniNetworkOf(config, { log: deps.log, observe: observeExec });
  await network.init();
  const handlers = RuntimeHandlers.load(config, deps.host.cgroupDriver, deps.log, observeExec);
  const specHost: SpecHostFacts = readSpecHostFacts(deps.host);
  const events = new PodEvents();
  const ctx: PodContext = { ...deps, network, handlers, specHost, events };
  const sandboxes = new SandboxManager(ctx);
  const containers = new ContainerManager(ctx, sandboxes);
  await containers.recover();
  await sandboxes.recover();
  const runtimeFeatures = Object.fromEntries(handlers.names().map((n) => [n, handlers.get(n)!.features]));
  return { sandboxes, containers, network, events, runtimeFeatures };
}
