import { InvalidArgumentError, NotSupportedError } from "../../errors.ts";
import { workerSpecifier as embeddedWorker } from "../../worker-specifier.ts";
import type { ApplyLayerResult } from "./apply-layer.ts";
import { UnpackError, UnpackLimitError } from "./errors.ts";
import type { UnpackFailure, UnpackJob, UnpackReply } from "./worker-protocol.ts";

/** Unpacks a layer blob (on disk) into `dest`; what installImage calls. */
export type LayerUnpacker = (job: UnpackJob, signal?: AbortSignal) => Promise<ApplyLayerResult>;

/** Turns a worker's failure back into the error class that gives the right gRPC code. */
export function rebuildError(kind: UnpackFailure, message: string): Error {
  switch (kind) {
    case "limit":
      return new UnpackLimitError(message);
    case "unpack":
      return new UnpackError(message);
    case "unsupported":
      return new NotSupportedError(message);
    case "invalid":
      return new InvalidArgumentError("layer", message);
    default:
      return new Error(message);
  }
}

/** Where the unpack worker's code is (see worker-specifier.ts). */
export function workerSpecifier(moduleUrl = import.meta.url): string {
  return embeddedWorker(moduleUrl, "image/unpack/unpack-worker.ts");
}

/**
 * How many layers to unpack at once: `configured`, or for 0 one per core, at most 4.
 * Each Worker added about 16 MiB to a pull's peak while it worked, before the Workers
 * collected their garbage; measured with bench/pull.ts on 2 cores (peak RSS, pull time):
 * 1 Worker 100 MiB, 2.42 s; 2 Workers 116 MiB, 1.74 s; 3 Workers 130 MiB, 1.63 s. Past
 * the cores the time barely moves.
 */
export function unpackWorkers(configured: number, cores: number): number {
  return configured > 0 ? configured : Math.max(1, Math.min(4, cores));
}

/**
 * Runs each unpack in a fresh Worker: one thread per layer, ended when the layer is done,
 * so nothing idles between pulls. The caller bounds how many run at once.
 */
export function createWorkerUnpacker(): LayerUnpacker {
  return (job, signal) =>
    new Promise<ApplyLayerResult>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // JavaScriptCore's small heap, which the worker also collects while it unpacks
      // (collect-while.ts): each Worker's heap adds to the pull's peak.
      const worker = new Worker(workerSpecifier(), { smol: true });
      const finish = (fn: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        worker.terminate();
        fn();
      };
      const onAbort = () => finish(() => reject(signal?.reason ?? new Error("unpack aborted")));
      signal?.addEventListener("abort", onAbort);
      worker.onmessage = (e: MessageEvent<UnpackReply>) => {
        const reply = e.data;
        finish(() => (reply.ok ? resolve(reply.result) : reject(rebuildError(reply.kind, reply.message))));
      };
      worker.onerror = (e) => finish(() => reject(new Error(`unpack worker failed: ${e.message}`)));
      worker.postMessage(job);
    });
}
