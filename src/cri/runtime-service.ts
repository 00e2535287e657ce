import type { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import type { Images as SkiffImages } from "../gen/skiff/v1/skiff_pb.ts";
import { ImageServiceRpc, RuntimeServiceRpc } from "../wire/gen/runtime-v1.ts";
import { ImagesRpc } from "../wire/gen/skiff-v1.ts";
import type { Router } from "../server/rpc.ts";
import type { CriContext } from "./context.ts";
import { createImageFsInfo } from "./image-fs-info.ts";
import { createListImages, createStreamImages } from "./image-list.ts";
import { createPullImage } from "./image-pull.ts";
import { createRemoveImage } from "./image-remove.ts";
import { createImageStatus } from "./image-status.ts";
import { createRuntimeConfig } from "./runtime-config.ts";
import { createExport, createImport, createWatchPull } from "./skiff-images.ts";
import { createStatus } from "./status.ts";
import { withUnimplemented } from "./unimplemented.ts";
import { createUpdateRuntimeConfig } from "./update-runtime-config.ts";
import { createVersion } from "./version.ts";
import type { Pods } from "./context.ts";
import { NotSupportedError } from "../errors.ts";
import { createContainerStatus } from "./container-status.ts";
import { createCreateContainer } from "./container-create.ts";
import { createExecSync } from "./container-exec-sync.ts";
import { createUpdateContainerResources } from "./container-update-resources.ts";
import { createReopenContainerLog } from "./container-reopen-log.ts";
import { createListContainers, createStreamContainers } from "./container-list.ts";
import { createContainerStats, createListContainerStats, createStreamContainerStats } from "./container-stats.ts";
import { createGetContainerEvents } from "./container-events.ts";
import { createRemoveContainer } from "./container-remove.ts";
import { createStartContainer } from "./container-start.ts";
import { createStopContainer } from "./container-stop.ts";
import { createListPodSandbox, createStreamPodSandboxes } from "./sandbox-list.ts";
import { createRemovePodSandbox } from "./sandbox-remove.ts";
import { createRunPodSandbox } from "./sandbox-run.ts";
import { createUpdatePodSandboxResources } from "./sandbox-update-resources.ts";
import { createListPodSandboxStats, createPodSandboxStats, createStreamPodSandboxStats } from "./sandbox-stats.ts";
import { createPodSandboxStatus } from "./sandbox-status.ts";
import { createListMetricDescriptors, createListPodSandboxMetrics, createStreamPodSandboxMetrics } from "./sandbox-metrics.ts";
import { createStopPodSandbox } from "./sandbox-stop.ts";
import { createExec } from "./container-exec.ts";
import { createAttach } from "./container-attach.ts";
import { createPortForward } from "./sandbox-port-forward.ts";

/**
 * The daemon's pods, looked up per call: they are built after the routes are, and may be
 * absent (not built for this OS, or their start failed), which answers Unimplemented.
 */
function lazyPods(ctx: CriContext): Pods {
  const need = (): Pods => {
    if (!ctx.pods) throw new NotSupportedError(`pods and containers are not available: ${ctx.podsUnavailable ?? "not built for this OS yet"}`);
    return ctx.pods;
  };
  return {
    get sandboxes() {
      return need().sandboxes;
    },
    get containers() {
      return need().containers;
    },
    get events() {
      return need().events;
    },
  };
}

/** The pod and container RPCs, one handler file each. */
function podHandlers(pods: Pods) {
  return {
    runPodSandbox: createRunPodSandbox(pods),
    stopPodSandbox: createStopPodSandbox(pods),
    removePodSandbox: createRemovePodSandbox(pods),
    podSandboxStatus: createPodSandboxStatus(pods),
    listPodSandbox: createListPodSandbox(pods),
    streamPodSandboxes: createStreamPodSandboxes(pods),
    createContainer: createCreateContainer(pods),
    startContainer: createStartContainer(pods),
    stopContainer: createStopContainer(pods),
    removeContainer: createRemoveContainer(pods),
    containerStatus: createContainerStatus(pods),
    listContainers: createListContainers(pods),
    streamContainers: createStreamContainers(pods),
    execSync: createExecSync(pods),
    updateContainerResources: createUpdateContainerResources(pods),
    reopenContainerLog: createReopenContainerLog(pods),
    containerStats: createContainerStats(pods),
    listContainerStats: createListContainerStats(pods),
    streamContainerStats: createStreamContainerStats(pods),
    podSandboxStats: createPodSandboxStats(pods),
    getContainerEvents: createGetContainerEvents(pods),
    updatePodSandboxResources: createUpdatePodSandboxResources(pods),
    listPodSandboxStats: createListPodSandboxStats(pods),
    streamPodSandboxStats: createStreamPodSandboxStats(pods),
    listMetricDescriptors: createListMetricDescriptors(),
    listPodSandboxMetrics: createListPodSandboxMetrics(pods),
    streamPodSandboxMetrics: createStreamPodSandboxMetrics(pods),
  };
}

/** What each not-yet-built RPC waits for, for the Unimplemented message. */
function plannedFor(method: string): string {
  if (/Checkpoint/.test(method)) return "planned: checkpoint with CRIU";
  return "planned";
}

/** Wires the CRI services, and skiff's own skiff.v1 services, onto a router. Handlers live one per file next to this one. */
export function registerCriServices(router: Router, ctx: CriContext): void {
  router.service<typeof RuntimeService>(
    RuntimeServiceRpc,
    withUnimplemented<typeof RuntimeService>(
      RuntimeServiceRpc,
      {
        version: createVersion(ctx),
        status: createStatus(ctx),
        runtimeConfig: createRuntimeConfig(ctx),
        updateRuntimeConfig: createUpdateRuntimeConfig(ctx),
        ...podHandlers(lazyPods(ctx)),
        exec: createExec(ctx, lazyPods(ctx)),
        attach: createAttach(ctx, lazyPods(ctx)),
        portForward: createPortForward(ctx, lazyPods(ctx)),
      },
      plannedFor,
    ),
  );
  router.service<typeof ImageService>(ImageServiceRpc, {
    pullImage: createPullImage(ctx),
    listImages: createListImages(ctx),
    streamImages: createStreamImages(ctx),
    imageStatus: createImageStatus(ctx),
    removeImage: createRemoveImage(ctx),
    imageFsInfo: createImageFsInfo(ctx),
  });
  router.service<typeof SkiffImages>(ImagesRpc, {
    watchPull: createWatchPull(ctx),
    import: createImport(ctx),
    export: createExport(ctx),
  });
}
