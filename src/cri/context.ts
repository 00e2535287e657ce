import type { Logger } from "../logger.ts";
import type { Config } from "../config/index.ts";
import type { Platform } from "../platform/index.ts";
import type { HostFacts } from "../runtime/host-facts.ts";
import type { Readiness } from "../server/readiness.ts";
import type { ImageManager } from "../image/image-manager.ts";
import type { Clock, Store } from "../store/index.ts";
import type { HandlerFeatures } from "../runtime/runtime-features.ts";
import type { StreamingRequest } from "../streaming/streaming-types.ts";

import type { Pods } from "./pods.ts";

export type { Pods } from "./pods.ts";

/** Everything a CRI handler may use, passed in explicitly (no globals). */
export type CriContext = {
  config: Config;
  /** Where the config came from: a file path or "<embedded defaults>". */
  configSource: string;
  store: Store;
  images: ImageManager;
  /** Wall-clock nanoseconds, for CRI timestamps. */
  clock: Clock;
  platform: Platform;
  host: HostFacts;
  readiness: Readiness;
  log: Logger;
  /** skiff's own version, from package.json. */
  version: string;
  /** Absent where pods are not built yet: their RPCs answer Unimplemented. */
  pods?: Pods;
  /** Pod networking (CNI), where pods are built. */
  network?: { status(): { ready: boolean; reason: string; message: string } };
  /** Optional CRI features of each runtime handler on this host, where pods are built. */
  runtimeFeatures?: Record<string, HandlerFeatures>;
  /** Why `pods` is absent, when their start failed. */
  podsUnavailable?: string;
  /** The exec/attach/port-forward server, once it listens. */
  streaming?: { urlFor(req: StreamingRequest): string; readonly baseUrl: string };
};
