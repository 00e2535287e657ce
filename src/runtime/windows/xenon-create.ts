/**
 * Creating a container inside a pod's utility VM (Xenon, schema 2.1), step for step as
 * hcsshim's hcsoci.CreateContainer with a hosting system: its scratch made on the host
 * (CreateSandboxLayer, ExpandSandboxSize), the image layers shared into the VM over VSMB,
 * the scratch VHD hot-added on SCSI and mounted by the guest (the container's root in the
 * VM), the layers combined onto it, the mounts shared (directories over VSMB, named pipes
 * mapped), then the compute system: a `HostedSystem` whose `HostingSystemId` is the VM.
 * Everything acquired is released in reverse when a later step fails (unless kept for
 * debugging), the layers last, as hcsshim's ReleaseResources does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { NotSupportedError } from "../../errors.ts";
import { isNamedPipe } from "../../oci/opts/windows.ts";
import { containerComputeSystemDocument } from "./hcs-document.ts";
import { failCreate, type HcsCreated, type HcsCreateDeps, type HcsCreateOptions, type HcsResources, layerGuids, prepareCreate } from "./hcs-create.ts";
import { createScratch } from "./scratch-layer.ts";
import type { Release, UtilityVm } from "./utility-vm.ts";

const readOnly = (options: readonly string[] | undefined) => (options ?? []).some((o) => o.toLowerCase() === "ro");

/** Releases in reverse order of taking; every one is tried, the first failure reported. */
export async function releaseAll(releases: Release[]): Promise<void> {
  let first: unknown;
  for (const r of releases.splice(0).reverse()) await r().catch((e) => (first ??= e));
  if (first !== undefined) throw new Error("failed to release one or more utility VM resources", { cause: first });
}

export async function createXenonContainer(deps: HcsCreateDeps, vm: UtilityVm, opts: HcsCreateOptions): Promise<HcsCreated> {
  const { host } = deps;
  const spec = opts.spec;
  const { id, owner, schema } = prepareCreate(deps, opts, true);
  const r: HcsResources = {};
  const layerReleases: Release[] = [];
  const mountReleases: Release[] = [];
  r.inVm = async () => {
    await releaseAll(mountReleases);
    await releaseAll(layerReleases);
  };
  try {
    // The container's storage (hcsshim layers.MountWCOWLayers for a utility VM).
    await createScratch(host.layers, { path: opts.storage.scratch, parents: opts.storage.layers, sizeBytes: opts.storage.sizeBytes });
    r.scratch = opts.storage.scratch;
    r.scratchUnmounted = true;
    const ids = await layerGuids(host.layers, opts.storage.layers);
    const shared: { id: string; path: string }[] = [];
    for (const l of ids) {
      const share = await vm.addShare(l.path, true, true);
      layerReleases.push(share.release);
      shared.push({ id: l.id, path: share.guestPath });
    }
    const scratch = await vm.attachScratch(path.join(opts.storage.scratch, "sandbox.vhdx"));
    layerReleases.push(scratch.release);
    layerReleases.push(await vm.combineLayers(scratch.guestPath, shared.map((l) => ({ Id: l.id, Path: l.path }))));

    // The mounts (hcsshim setupMounts): directories shared into the VM, host pipes mapped.
    const guestPaths = new Map<string, string>();
    for (const m of spec.mounts ?? []) {
      const source = m.source ?? "";
      if (isNamedPipe(source)) {
        if (isNamedPipe(m.destination)) mountReleases.push(await vm.addPipe(source));
        continue;
      }
      if (source === "" || !fs.statSync(source, { throwIfNoEntry: false })?.isDirectory()) {
        throw new NotSupportedError(`mount "${source}": only directories can be shared into a Hyper-V isolated container (single files are not built in skiff)`);
      }
      const ro = readOnly(m.options);
      const share = await vm.addShare(source, ro);
      mountReleases.push(share.release);
      guestPaths.set(`${source}-${ro}`, share.guestPath);
    }

    const document = JSON.stringify(
      containerComputeSystemDocument({
        id,
        owner,
        spec: { ...spec, root: { path: scratch.guestPath } },
        schema,
        hostBuild: deps.hostBuild,
        hostProcessorCount: deps.hostProcessorCount,
        hostingSystem: { id: vm.id, processorCount: vm.processorCount, guestPathOf: (p, ro) => guestPaths.get(`${p}-${ro}`) ?? p },
        layers: shared,
        networkNamespace: opts.networkNamespace ?? "",
      }),
    );
    const system = await host.hcs.createComputeSystem(id, document);
    return { system, resources: r, schema, document };
  } catch (err) {
    return failCreate(host, id, r, opts.keepResourcesOnFailure === true, err);
  }
}
