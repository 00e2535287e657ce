/**
 * A Hyper-V isolated pod's sandbox on schema 2.1: its utility VM, as hcsshim's shim makes
 * one for a WCOW pod (`createPod` with SandboxIsolation HYPERVISOR): booted from the
 * sandbox image's `UtilityVM` folder (the nearest layer that has one), on a private copy of
 * its `SystemTemplate.vhdx` (hcsshim layers.getVmbFSBootFiles: `<pod scratch>\vm\sandbox.vhdx`),
 * created, started, and given the pod's network namespace. There is no pause container:
 * the VM is the sandbox (hcsshim's wcowPodSandboxTask), and stopping the pod takes the
 * network out of the VM, then terminates it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { FailedPreconditionError } from "../../errors.ts";
import type { Spec } from "../../oci/spec.ts";
import type { WindowsHost } from "../../platform/windows-host.ts";
import { isAlreadyStopped, isNotFound } from "../../platform/windows/hresult.ts";
import { utilityVmFolder } from "./hcs-create.ts";
import { UtilityVm, utilityVmId } from "./utility-vm.ts";
import { utilityVmDocument, utilityVmOptions } from "./uvm-document.ts";

export type XenonPodRequest = {
  id: string;
  owner: string;
  /** The sandbox spec: its annotations and resources size the VM. */
  spec: Spec;
  /** The sandbox image's layer folders, nearest first. */
  layers: readonly string[];
  /** The pod's scratch folder; the VM's files go to its `vm` folder. */
  scratch: string;
  /** The pod's HNS namespace ("" for none). */
  networkNamespace: string;
  newId?: () => string;
};

/** Where the VM's own scratch lives for a pod. */
export const vmDirOf = (scratch: string): string => path.join(scratch, "vm");

/** Starts the pod's utility VM; on failure, what was made is gone again. Returns the VM and its document. */
export async function startXenonPod(host: Pick<WindowsHost, "hcs" | "layers" | "hcn" | "processorCount">, req: XenonPodRequest): Promise<{ vm: UtilityVm; document: string }> {
  const folder = utilityVmFolder(req.layers);
  if (!folder || !fs.existsSync(folder)) {
    throw new FailedPreconditionError("the sandbox image has no UtilityVM folder: a Hyper-V isolated pod boots from a Windows base image that has one (e.g. servercore or nanoserver)");
  }
  const dir = vmDirOf(req.scratch);
  const vhd = path.join(dir, "sandbox.vhdx");
  const id = utilityVmId(req.id);
  const opts = utilityVmOptions(req.spec, { processorCount: host.processorCount() }, { id, owner: req.owner, osFilesPath: path.join(folder, "Files"), scratchVhdPath: vhd });
  const document = JSON.stringify(utilityVmDocument(opts));
  const vm = new UtilityVm(host, id, opts.processorCount, opts.noDirectMap, req.newId);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(folder, "SystemTemplate.vhdx"), vhd);
    await host.layers.grantVmAccess(id, vhd);
    await vm.createAndStart(document);
    if (req.networkNamespace !== "") await vm.addNetwork(req.networkNamespace);
  } catch (err) {
    await vm.terminate().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { vm, document };
}

/** hcsshim's wcowPodSandboxTask.close: the network out of the VM (best effort), then the VM terminated. */
export async function stopXenonPod(vm: UtilityVm, warn: (msg: string) => void): Promise<void> {
  await vm.removeNetwork().catch((err) => warn(`take the network out of utility VM "${vm.id}": ${String(err)}`));
  await vm.terminate();
}

/**
 * After a restart: a pod's VM ended with skiff's last handle (ShouldTerminateOnLastHandleClosed);
 * one still there (skiff was not the last holder) is terminated and closed.
 */
export async function endLeftoverVm(hcs: WindowsHost["hcs"], podId: string): Promise<void> {
  let system;
  try {
    system = await hcs.openComputeSystem(utilityVmId(podId));
  } catch (err) {
    const hr = (err as { hresult?: unknown }).hresult;
    if (typeof hr === "number" && isNotFound(hr)) return;
    throw err;
  }
  try {
    await hcs.terminateComputeSystem(system).catch((err) => {
      const hr = (err as { hresult?: unknown }).hresult;
      if (typeof hr !== "number" || !isAlreadyStopped(hr)) throw err;
    });
  } finally {
    hcs.closeComputeSystem(system);
  }
}
