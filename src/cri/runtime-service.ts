import type { ConnectRouter } from "@connectrpc/connect";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import { Images as SkiffImages } from "../gen/skiff/v1/skiff_pb.ts";
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

/** Where each not-yet-built RPC is planned, for the Unimplemented message. */
function plannedFor(method: string): string {
  if (/Stats|Metric/.test(method)) return "planned: stats and metrics";
  if (/Exec|Attach|PortForward/.test(method)) return "planned: streaming";
  if (/Checkpoint|Events|ReopenContainerLog|Resources/.test(method)) return "planned";
  return "planned: linux pods and containers";
}

/** Wires the CRI services, and skiff's own skiff.v1 services, onto a connect router. Handlers live one per file next to this one. */
export function registerCriServices(router: ConnectRouter, ctx: CriContext): void {
  router.service(
    RuntimeService,
    withUnimplemented(
      RuntimeService,
      {
        version: createVersion(ctx),
        status: createStatus(ctx),
        runtimeConfig: createRuntimeConfig(ctx),
        updateRuntimeConfig: createUpdateRuntimeConfig(ctx),
      },
      plannedFor,
    ),
  );
  router.service(ImageService, {
    pullImage: createPullImage(ctx),
    listImages: createListImages(ctx),
    streamImages: createStreamImages(ctx),
    imageStatus: createImageStatus(ctx),
    removeImage: createRemoveImage(ctx),
    imageFsInfo: createImageFsInfo(ctx),
  });
  router.service(SkiffImages, {
    watchPull: createWatchPull(ctx),
    import: createImport(ctx),
    export: createExport(ctx),
  });
}
