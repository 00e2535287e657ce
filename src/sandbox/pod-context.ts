/** What the sandbox and container managers share: the daemon's parts they act through. */
import type { Logger } from "../logger.ts";
import type { Config } from "../config/index.ts";
import type { ImageManager } from "../image/image-manager.ts";
import type { CniNetwork } from "../network/cni-network.ts";
import type { SpecHostFacts } from "../oci/host.ts";
import type { Platform } from "../platform/types.ts";
import type { HostFacts } from "../runtime/host-facts.ts";
import type { RuntimeHandlers } from "../runtime/runtime-handlers.ts";
import type { Clock, Store } from "../store/index.ts";
import type { PodEvents } from "./pod-events.ts";

export type PodContext = {
  config: Config;
  store: Store;
  platform: Platform;
  images: ImageManager;
  network: CniNetwork;
  handlers: RuntimeHandlers;
  host: HostFacts;
  /** The host facts spec generation takes (DESIGN.md rule 1). */
  specHost: SpecHostFacts;
  clock: Clock;
  log: Logger;
  /** Where pod and container lifecycle events go (GetContainerEvents); none in some tests. */
  events?: PodEvents;
};
