/**
 * A container's scratch (its writable layer) for process isolation, as hcsshim mounts
 * WCIFS layers: CreateSandboxLayer over the image layers, ExpandSandboxSize when a size
 * is asked for, ActivateLayer, PrepareLayer, then GetLayerMountPath gives the volume the
 * container's root is. Each step is undone if a later one fails; `unmountScratch` undoes
 * them all and tolerates finding them undone.
 */
import type { WindowsLayerCalls } from "../../platform/windows-host.ts";

export type ScratchRequest = {
  /** The scratch folder (its name gives the layer GUID). */
  path: string;
  /** The image's layer folders, nearest first. */
  parents: readonly string[];
  /** 0: the default size. */
  sizeBytes: number;
};

/**
 * CreateSandboxLayer, then ExpandSandboxSize when a size is asked for; destroyed again if
 * the expand fails. A utility VM mounts such a scratch itself (its sandbox.vhdx).
 */
export async function createScratch(layers: WindowsLayerCalls, req: ScratchRequest): Promise<void> {
  await layers.createSandboxLayer(req.path, req.parents);
  try {
    if (req.sizeBytes > 0) await layers.expandSandboxSize(req.path, req.sizeBytes);
  } catch (err) {
    await layers.destroyLayer(req.path).catch(() => {});
    throw err;
  }
}

/** Creates and mounts the scratch on the host; returns the volume path (`\\?\Volume{...}\`). */
export async function mountScratch(layers: WindowsLayerCalls, req: ScratchRequest): Promise<string> {
  const undo: (() => Promise<void>)[] = [];
  try {
    await createScratch(layers, req);
    undo.push(() => layers.destroyLayer(req.path));
    await layers.activateLayer(req.path);
    undo.push(() => layers.deactivateLayer(req.path));
    await layers.prepareLayer(req.path, req.parents);
    undo.push(() => layers.unprepareLayer(req.path));
    return await layers.getLayerMountPath(req.path);
  } catch (err) {
    for (const u of undo.reverse()) await u().catch(() => {});
    throw err;
  }
}

/**
 * Unprepares, deactivates and destroys the scratch. The first two may find nothing to
 * undo (a scratch that was never mounted); only a failed destroy is an error.
 */
export async function unmountScratch(layers: WindowsLayerCalls, path: string): Promise<void> {
  await layers.unprepareLayer(path).catch(() => {});
  await layers.deactivateLayer(path).catch(() => {});
  await layers.destroyLayer(path);
}
