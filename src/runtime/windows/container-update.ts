/**
 * UpdateContainerResources for a Windows container, as containerd and hcsshim do it:
 * containerd merges the request's Windows resources into the container's spec (a zero
 * leaves a figure as it was) and, for a running container, hands the merged resources to
 * the shim, which sends HCS a ModifySettingRequest per kind (hcsshim task_hcs.go
 * updateWCOWResources): the memory limit in MB (rounded up to an even number) to
 * `Container/Memory/SizeInMB`, then the one CPU control (count, lowered to the processors
 * of the host or the pod's VM; maximum; or shares as weight) to `Container/Processor`,
 * the latter only from Windows build 19042 (20H2) on. A container not running only has its
 * spec changed (its compute system keeps the figures it was created with; that is
 * containerd's behaviour too). Pure request building here; the caller does the I/O.
 */
import type { ContainerConfig, WindowsContainerResources } from "../../gen/runtime/v1/api_pb.ts";
import { createWindowsContainerConfig, createWindowsContainerResources } from "../../wire/gen/runtime-v1.ts";
import { FailedPreconditionError, InvalidArgumentError, NotSupportedError } from "../../errors.ts";
import { withWindowsResources } from "../../oci/opts/windows.ts";
import type { Spec } from "../../oci/spec.ts";
import { containerMemory, containerProcessor, type ModifyRequest } from "./uvm-requests.ts";

/** Windows 10 / Server 20H2: the first build whose HCS updates a running container's processor settings. */
export const BUILD_20H2 = 19042;

export type WindowsUpdate = {
  /** The spec with the merged resources (what config.json becomes). */
  spec: Spec;
  /** The requests for the running compute system, in order (none when it is not running). */
  requests: ModifyRequest[];
};

/**
 * The new spec and the HCS requests for an update. `running` is the container's state;
 * `processors` the host's (or the pod VM's) processors; `build` the host's Windows build.
 * @throws InvalidArgumentError, NotSupportedError, FailedPreconditionError
 */
export function planWindowsUpdate(
  current: Spec,
  windows: WindowsContainerResources | undefined,
  at: { id: string; state: string; processors: number; build: number },
): WindowsUpdate {
  if (!windows) throw new InvalidArgumentError("windows", "is required for a Windows container");
  if (windows.affinityCpus.length > 0) {
    throw new NotSupportedError("changing a Windows container's CPU affinity needs its job object (hcsshim's silo affinity), which skiff does not set");
  }
  if (at.state !== "created" && at.state !== "running") {
    throw new FailedPreconditionError(`container "${at.id}" is ${at.state}: only a created or running container can be updated`);
  }
  const spec = structuredClone(current);
  withWindowsResources(windows, "windows")(spec);
  const cpu = spec.windows?.resources?.cpu;
  const controls = [cpu?.count, cpu?.maximum, cpu?.shares].filter((v) => v !== undefined && v > 0).length;
  if (controls > 1) {
    throw new InvalidArgumentError(
      "windows",
      `cpu count (${cpu?.count ?? 0}), maximum (${cpu?.maximum ?? 0}) and shares (${cpu?.shares ?? 0}) are mutually exclusive; with what the container had, this update would set more than one`,
    );
  }
  if (at.state !== "running") return { spec, requests: [] };
  const requests: ModifyRequest[] = [];
  const limit = spec.windows?.resources?.memory?.limit;
  if (limit !== undefined) {
    const mb = Math.floor(limit / 2 ** 20);
    requests.push(containerMemory(mb + (mb % 2)));
  }
  if (controls === 1) {
    if (at.build < BUILD_20H2) throw new NotSupportedError(`updating a running Windows container's CPU needs Windows build ${BUILD_20H2} (20H2) or later; this host is ${at.build}`);
    if (cpu?.count) requests.push(containerProcessor({ Count: Math.min(cpu.count, at.processors) }));
    else if (cpu?.maximum) requests.push(containerProcessor({ Maximum: cpu.maximum }));
    else if (cpu?.shares) requests.push(containerProcessor({ Weight: cpu.shares }));
  }
  return { spec, requests };
}

/** The container's CRI config as its status reports it after the update: the request's non-zero figures over the old ones. */
export function updatedConfig(config: ContainerConfig, update: WindowsContainerResources): ContainerConfig {
  const old = config.windows?.resources;
  const pick = (a: bigint | undefined, b: bigint) => (b !== 0n ? b : (a ?? 0n));
  const resources: WindowsContainerResources = {
    ...createWindowsContainerResources(),
    cpuShares: pick(old?.cpuShares, update.cpuShares),
    cpuCount: pick(old?.cpuCount, update.cpuCount),
    cpuMaximum: pick(old?.cpuMaximum, update.cpuMaximum),
    memoryLimitInBytes: pick(old?.memoryLimitInBytes, update.memoryLimitInBytes),
    rootfsSizeInBytes: old?.rootfsSizeInBytes ?? 0n,
    affinityCpus: old?.affinityCpus ?? [],
  };
  return { ...config, windows: { ...(config.windows ?? createWindowsContainerConfig()), resources } };
}
