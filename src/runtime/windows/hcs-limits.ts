/**
 * The resource figures of an HCS container document, read the way hcsshim reads them:
 * an `io.microsoft.container.*` annotation first, else the spec's `windows.resources`.
 * Pure.
 */
import { InvalidArgumentError } from "../../errors.ts";
import type { Spec } from "../../oci/spec.ts";

/** hcsshim's annotation keys (pkg/annotations). */
export const HCS_ANNOTATION = {
  processorCount: "io.microsoft.container.processor.count",
  processorLimit: "io.microsoft.container.processor.limit",
  processorWeight: "io.microsoft.container.processor.weight",
  memorySizeInMB: "io.microsoft.container.memory.sizeinmb",
  storageBandwidthMaximum: "io.microsoft.container.storage.qos.bandwidthmaximum",
  storageIopsMaximum: "io.microsoft.container.storage.qos.iopsmaximum",
  processDumpLocation: "io.microsoft.container.processdumplocation",
  processDumpType: "io.microsoft.wcow.processdumptype",
  processDumpCount: "io.microsoft.wcow.processdumpcount",
  disableGmsa: "io.microsoft.container.wcow.gmsa.disable",
} as const;

/** An int32 annotation; a value that does not parse counts as absent, as hcsshim logs and ignores it. */
function int32Annotation(a: Readonly<Record<string, string>>, key: string): number {
  const v = a[key];
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

/** A bool annotation the way Go's strconv.ParseBool reads it; anything else counts as absent. */
export function boolAnnotation(a: Readonly<Record<string, string>>, key: string): boolean | undefined {
  const v = a[key];
  if (v === undefined) return undefined;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return undefined;
}

/**
 * CPU count, limit (per 10,000 of all processors) and weight: at most one may be set; a
 * count above `maxCount` (the host's processors, or the utility VM's) is lowered to it.
 */
export function cpuLimits(spec: Spec, maxCount: number): { count: number; limit: number; weight: number } {
  const a = spec.annotations ?? {};
  const cpu = spec.windows?.resources?.cpu;
  let count = int32Annotation(a, HCS_ANNOTATION.processorCount) || (cpu?.count ?? 0);
  const limit = int32Annotation(a, HCS_ANNOTATION.processorLimit) || (cpu?.maximum ?? 0);
  const weight = int32Annotation(a, HCS_ANNOTATION.processorWeight) || (cpu?.shares ?? 0);
  const set = [count, limit, weight].filter((v) => v > 0).length;
  if (set > 1) {
    throw new InvalidArgumentError(
      "config.windows.resources",
      `cpu count (${count}), limit (${limit}) and weight (${weight}) are mutually exclusive for a Windows container`,
    );
  }
  if (set === 1 && count > maxCount) count = maxCount;
  return { count, limit, weight };
}

/** Memory in MB: the annotation, else the spec's limit in bytes / 2^20 (rounded down). */
export function memoryMB(spec: Spec): number {
  const a = spec.annotations?.[HCS_ANNOTATION.memorySizeInMB];
  if (a !== undefined && /^\d+$/.test(a) && Number(a) > 0) return Number(a);
  const limit = spec.windows?.resources?.memory?.limit ?? 0;
  return limit > 0 ? Math.floor(limit / 1024 / 1024) : 0;
}

/** Storage QoS: bandwidth (bytes/s) and IOPS maximums. */
export function storageQos(spec: Spec): { bandwidth: number; iops: number } {
  const a = spec.annotations ?? {};
  const storage = spec.windows?.resources?.storage;
  return {
    bandwidth: int32Annotation(a, HCS_ANNOTATION.storageBandwidthMaximum) || (storage?.bps ?? 0),
    iops: int32Annotation(a, HCS_ANNOTATION.storageIopsMaximum) || (storage?.iops ?? 0),
  };
}
