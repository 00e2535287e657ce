/**
 * Reading a container's stored record: its ContainerConfig (a copy to change, or a shared
 * view for listings), the CRI reason for its exit, and how much output ExecSync keeps.
 * Shared by the Linux and Windows container services and the CRI converters.
 */
import type { ContainerConfig } from "../gen/runtime/v1/api_pb.ts";
import { fromJsonContainerConfig } from "../wire/gen/runtime-v1.ts";
import type { ExitInfo } from "../runtime/linux/oci-runtime.ts";
import { type ContainerRecord, derivedOnce, type JsonObject } from "../store/index.ts";

/**
 * How much of each stream ExecSync keeps: the answer carries both, and must fit in one
 * gRPC message of at most `maxSendMessageBytes` (16 MiB by default, the kubelet's receive
 * limit too), or the call fails with ResourceExhausted instead of answering. The kubelet
 * keeps far less of a probe's output anyway. 4 KiB is left for the message's framing.
 */
export function execSyncOutputCap(maxSendMessageBytes: number): number {
  return Math.max(0, Math.floor((maxSendMessageBytes - 4096) / 2));
}

/** The stored ContainerConfig of a record: a message of its own, the caller's to change. */
export function containerConfigOf(rec: ContainerRecord): ContainerConfig {
  return decodeConfig(rec.config);
}

const decodeConfig = (config: JsonObject) => fromJsonContainerConfig(config);
const configView = derivedOnce(decodeConfig);

/**
 * The stored ContainerConfig of a record, for reading only: decoded once per stored
 * config (records share their decoded JSON, see the store's `decodeJsonShared`) and
 * shared, so listings that convert every container every second do not decode each
 * config again. Never change it; use `containerConfigOf` for a copy to change.
 */
export function containerConfigView(rec: ContainerRecord): ContainerConfig {
  return configView(rec.config);
}

/** The CRI reason for an exit: what the kubelet shows as a container's last state. */
export function exitReason(exit: ExitInfo): string {
  if (exit.oomKilled) return "OOMKilled";
  return exit.exitCode === 0 ? "Completed" : "Error";
}
