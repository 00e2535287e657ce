/**
 * Reading a sandbox's stored record: its PodSandboxConfig, as a copy to change or as a
 * shared view for listings. Shared by the Linux and Windows pod services and the CRI
 * converters.
 */
import { fromJson } from "@bufbuild/protobuf";
import { type PodSandboxConfig, PodSandboxConfigSchema } from "../gen/runtime/v1/api_pb.ts";
import type { SandboxRecord } from "../store/index.ts";

/** The stored PodSandboxConfig of a record: a message of its own, the caller's to change. */
export function sandboxConfigOf(rec: SandboxRecord): PodSandboxConfig {
  return fromJson(PodSandboxConfigSchema, rec.config, { ignoreUnknownFields: true });
}

const configViews = new WeakMap<object, PodSandboxConfig>();

/** The stored PodSandboxConfig, for reading only, decoded once per stored config (see `containerConfigView`). */
export function sandboxConfigView(rec: SandboxRecord): PodSandboxConfig {
  let view = configViews.get(rec.config);
  if (!view) configViews.set(rec.config, (view = sandboxConfigOf(rec)));
  return view;
}
