/**
 * Reading a sandbox's stored record: its PodSandboxConfig, as a copy to change or as a
 * shared view for listings. Shared by the Linux and Windows pod services and the CRI
 * converters.
 */
import type { PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { fromJsonPodSandboxConfig } from "../wire/gen/runtime-v1.ts";
import { derivedOnce, type JsonObject, type SandboxRecord } from "../store/index.ts";

/** The stored PodSandboxConfig of a record: a message of its own, the caller's to change. */
export function sandboxConfigOf(rec: SandboxRecord): PodSandboxConfig {
  return decodeConfig(rec.config);
}

const decodeConfig = (config: JsonObject) => fromJsonPodSandboxConfig(config);
const configView = derivedOnce(decodeConfig);

/** The stored PodSandboxConfig, for reading only, decoded once per stored config (see `containerConfigView`). */
export function sandboxConfigView(rec: SandboxRecord): PodSandboxConfig {
  return configView(rec.config);
}
