import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Logger } from "../logger.ts";
import pkg from "../../package.json" with { type: "json" };
import { type Config, checkHost } from "../config/index.ts";
import type { CriContext } from "../cri/context.ts";
import { registerCriServices } from "../cri/runtime-service.ts";
import { ImageManager } from "../image/image-manager.ts";
import { platformFor } from "../image/platform-select.ts";
import { createWorkerUnpacker, unpackWorkers } from "../image/unpack/worker-unpacker.ts";
import { createPlatform, type Platform } from "../platform/index.ts";
import { PIPE_SDDL } from "../platform/windows/pipe-acl.ts";
import { createWindowsPods } from "../runtime/windows/create-windows-pods.ts";
import { detectHostFacts } from "../runtime/host-facts.ts";
import { createPods } from "../sandbox/create-pods.ts";
import { type Store, openStore, systemClock } from "../store/index.ts";
import { parseEndpoint } from "./endpoint.ts";
import { type GrpcServer, createGrpcServer } from "./grpc-server.ts";
import { createActivityInterceptor, createErrorInterceptor, createLoggingInterceptor, createReadinessInterceptor } from "./interceptors.ts";
import { Metrics, createMetricsInterceptor, serveMetrics } from "./metrics.ts";
import { Readiness } from "./readiness.ts";
import { startMemoryTrimmer } from "./memory-trim.ts";
import { startStreaming } from "./streaming.ts";
import type { StreamingServer } from "../streaming/streaming-server.ts";

/** A running skiff: what `skiff serve` holds until a signal stops it. */
export type Daemon = {
  readonly context: CriContext;
  /** Graceful stop: refuse new calls, drain in-flight ones (bounded), close the store. */
  stop(): Promise<void>;
};

/** The store's file under the root dir. */
export const storePath = (config: Config) => path.join(config.paths.root, "skiff.db");

/**
 * Starts skiff: host checks, state dirs, store, then the socket. Anything that fails
 * before the socket is up undoes what came before it and throws.
 */
/** `platform`: another Platform than the running OS's (`skiff serve --platform windows-fake`). */
export async function startDaemon(config: Config, configSource: string, log: Logger, opts: { platform?: Platform } = {}): Promise<Daemon> {
  const { errors, warnings } = await checkHost(config);
  for (const w of warnings) log.warn(w);
  if (errors.length > 0) throw new Error(`host checks failed:\n  ${errors.join("\n  ")}`);

  await fs.mkdir(config.paths.root, { recursive: true, mode: 0o711 });
  await fs.mkdir(config.paths.state, { recursive: true, mode: 0o711 });
  const readiness = new Readiness();
  const platform = opts.platform ?? createPlatform();
  const host = detectHostFacts({
    cgroupDriver: config.linux.cgroupDriver,
    restrictOomScoreAdj: config.linux.restrictOomScoreAdj,
  });
  const store: Store = openStore(storePath(config));
  const images = new ImageManager({
    config,
    store,
    platform,
    // A Windows node runs images built for its own build (os.version).
    want: platformFor(platform.os, process.arch, platform.windows ? { osVersion: platform.windows.osVersion() } : {}),
    log,
    unpack: createWorkerUnpacker(),
    unpackConcurrency: unpackWorkers(config.image.unpackConcurrency, navigator.hardwareConcurrency),
  });
  const context: CriContext = {
    config,
    configSource,
    store,
    images,
    clock: systemClock,
    platform,
    host,
    readiness,
    log,
    version: pkg.version,
  };

  const metrics = new Metrics(pkg.version);
  let metricsServer: ReturnType<typeof serveMetrics> | undefined;
  /** When the last CRI call came (the memory trimmer waits for a daemon at rest). */
  const activity = { last: Date.now() };
  const server: GrpcServer = createGrpcServer({
      routes: (router) => registerCriServices(router, context),
      interceptors: [
        createActivityInterceptor(activity),
        createLoggingInterceptor(log),
        createMetricsInterceptor(metrics),
        createErrorInterceptor(),
        createReadinessInterceptor(readiness),
      ],
      readMaxBytes: config.server.maxRecvMessageBytes,
      writeMaxBytes: config.server.maxSendMessageBytes,
      log,
    });
  try {
    const endpoint = parseEndpoint(config.server.socket, "server.socket");
    await server.listen(endpoint, {
      mode: config.server.socketMode,
      group: config.server.socketGroup,
    });
    if (endpoint.kind === "npipe") {
      try {
        platform.windows?.restrictPipe(endpoint.path, PIPE_SDDL);
      } catch (err) {
        // The pipe keeps Windows' default DACL: full control for SYSTEM, Administrators and
        // skiff's own account, read-only (no gRPC call possible) for everyone else.
        log.warn(`could not restrict ${endpoint.path} to SYSTEM and Administrators: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (config.server.metricsAddress !== "") {
      metricsServer = serveMetrics(config.server.metricsAddress, metrics);
      const metricsHost = config.server.metricsAddress.replace(/:\d+$/, "");
      log.info(`metrics on http://${metricsHost}:${metricsServer.port}/metrics`);
    }
  } catch (err) {
    metricsServer?.stop();
    await server.close(0);
    store.close();
    throw err;
  }
  try {
    await images.recover();
    await images.importDir();
  } catch (err) {
    log.error(`image store recovery failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (platform.windows) {
    try {
      const pods = await createWindowsPods({ config, store, images, host: platform.windows, clock: systemClock, log, executable: process.execPath }, metrics.observeExec);
      context.pods = pods;
      context.network = pods.network;
    } catch (err) {
      context.podsUnavailable = err instanceof Error ? err.message : String(err);
      log.error(`pods are not available: ${context.podsUnavailable}`);
    }
  } else if (platform.os === "linux") {
    try {
      const pods = await createPods({ config, store, platform, images, host, clock: systemClock, log }, metrics.observeExec);
      context.pods = pods;
      context.network = pods.network;
      context.runtimeFeatures = pods.runtimeFeatures;
    } catch (err) {
      // The image service stays up; pod RPCs answer Unimplemented and Status says why.
      context.podsUnavailable = err instanceof Error ? err.message : String(err);
      log.error(`pods are not available: ${context.podsUnavailable}`);
    }
  }
  let streaming: StreamingServer | undefined;
  try {
    streaming = await startStreaming(config, context, log);
    context.streaming = streaming;
  } catch (err) {
    // CRI keeps serving; Exec, Attach and PortForward answer Unimplemented and say why.
    log.error(`streaming server not started: ${err instanceof Error ? err.message : String(err)}`);
  }
  readiness.ready();
  // Start-up (config, store migrations, recovery, loading the CRI descriptors) leaves
  // garbage, compiled code and mapped pages of the executable that serving never runs
  // again: give them back once, now (see platform/linux/code-pages.ts for the figures).
  setTimeout(() => {
    Bun.shrink();
    try {
      log.debug(`unmapped ${(platform.releaseCodePages() / 1024).toFixed(1)} MiB of the executable's pages after start-up`);
    } catch (err) {
      log.debug(`the executable's pages stay mapped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, 0).unref();
  // Gives back what bursts of calls leave behind (see memory-trim.ts for the figures).
  const trimmer = startMemoryTrimmer({
    intervalMs: 2_000,
    thresholdBytes: 4 * 2 ** 20,
    minGapMs: 30_000,
    idleMs: 5_000,
    lastActivity: () => activity.last,
    resident: () => process.memoryUsage.rss(),
    shrink: () => Bun.shrink(),
    log,
  });
  log.info(`skiff ${pkg.version} serving CRI on ${config.server.socket} (cgroup driver ${host.cgroupDriver})`);

  let stopping: Promise<void> | undefined;
  return {
    context,
    stop() {
      stopping ??= (async () => {
        readiness.stopping();
        trimmer.stop();
        await server.close(config.server.shutdownTimeoutMs);
        await streaming?.stop();
        metricsServer?.stop();
        store.close();
        log.info("skiff stopped");
      })();
      return stopping;
    },
  };
}
