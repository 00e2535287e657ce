/**
 * Checks of a PodSandboxConfig that must pass before anything is created, each naming
 * the CRI field at fault (DESIGN.md rule 3).
 */
import * as path from "node:path";
import { type PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { NamespaceMode } from "../wire/gen/runtime-v1.ts";
import { InvalidArgumentError, NotSupportedError } from "../errors.ts";

/**
 * Characters a name may not hold: they would let it escape a directory or break the
 * `name_namespace_uid_attempt` key. Kubernetes names are DNS labels and never hold them.
 */
const BAD_NAME = /[/\\\0\n]/;

/** Checks a metadata name-like field: present, no path characters, not `.` or `..`. */
export function checkName(value: string, field: string): void {
  if (value === "") throw new InvalidArgumentError(field, "is required");
  if (BAD_NAME.test(value) || value === "." || value === "..") {
    throw new InvalidArgumentError(field, `"${value}" must not contain path characters`);
  }
  if (value.length > 253) throw new InvalidArgumentError(field, "is longer than 253 characters");
}

/**
 * Most bytes of keys and values one labels or annotations map may hold. The API server
 * caps a pod's annotations at 256 KiB; twice that leaves room for what the kubelet adds.
 * Without a cap one pod could hold the whole 16 MiB of a message, and every
 * ListPodSandbox (the kubelet's relist) would fail for being too large to send.
 */
export const MAX_MAP_BYTES = 512 * 1024;
/** PATH_MAX: a longer path cannot be opened anyway. */
export const MAX_PATH_BYTES = 4096;

/** Checks the size of a labels or annotations map. */
export function checkMapSize(map: Record<string, string>, field: string): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(map)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (bytes > MAX_MAP_BYTES) throw new InvalidArgumentError(field, `holds ${bytes} bytes of keys and values, more than the ${MAX_MAP_BYTES} allowed`);
}

/** Checks that a path fits in PATH_MAX. */
export function checkPathLength(value: string, field: string): void {
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) throw new InvalidArgumentError(field, `is longer than ${MAX_PATH_BYTES} bytes`);
}

/** A hostname for sethostname(2): at most 64 bytes, no path or control characters. */
function checkHostname(hostname: string): void {
  if (hostname === "") return;
  if (Buffer.byteLength(hostname) > 64 || /[/\\\s\0]/.test(hostname)) {
    throw new InvalidArgumentError("config.hostname", `"${hostname}" is not a valid hostname`);
  }
}

/**
 * A pod may ask for the node's user namespace (NODE) or for one of its own (POD); the
 * latter is not built, and is refused rather than run as root on the host, which the
 * pod's author asked not to be. Without `userns_options` the pod is in the node's.
 */
function checkUserNamespace(config: PodSandboxConfig): void {
  const userns = config.linux?.securityContext?.namespaceOptions?.usernsOptions;
  if (!userns || userns.mode === NamespaceMode.NODE) return;
  const field = "config.linux.security_context.namespace_options.userns_options.mode";
  if (userns.mode === NamespaceMode.POD) throw new NotSupportedError(`${field}: user namespaces of a pod's own (POD) are not supported by skiff yet`);
  throw new InvalidArgumentError(field, `${NamespaceMode[userns.mode]} is not a user namespace mode: POD or NODE`);
}

/** Validates what RunPodSandbox needs before it reserves the name. */
export function checkSandboxConfig(config: PodSandboxConfig | undefined): asserts config is PodSandboxConfig {
  if (!config) throw new InvalidArgumentError("config", "is required");
  const md = config.metadata;
  if (!md) throw new InvalidArgumentError("config.metadata", "is required");
  checkName(md.name, "config.metadata.name");
  checkName(md.namespace, "config.metadata.namespace");
  checkName(md.uid, "config.metadata.uid");
  checkHostname(config.hostname);
  checkUserNamespace(config);
  checkMapSize(config.labels, "config.labels");
  checkMapSize(config.annotations, "config.annotations");
  checkPathLength(config.logDirectory, "config.log_directory");
  // Absolute for the OS skiff runs on (`C:\var\log\pods\...` on Windows).
  if (config.logDirectory !== "" && !path.isAbsolute(config.logDirectory)) {
    throw new InvalidArgumentError("config.log_directory", `"${config.logDirectory}" is not an absolute path`);
  }
  if (config.logDirectory.split(/[\\/]/).includes("..")) {
    throw new InvalidArgumentError("config.log_directory", `"${config.logDirectory}" must not contain ".."`);
  }
  const res = config.linux?.resources;
  if (res) {
    for (const [key, v] of [
      ["cpu_period", res.cpuPeriod],
      ["cpu_quota", res.cpuQuota],
      ["cpu_shares", res.cpuShares],
      ["memory_limit_in_bytes", res.memoryLimitInBytes],
    ] as const) {
      // cpu_quota may be -1 (no limit) in the kubelet's pod resources.
      if (v < (key === "cpu_quota" ? -1n : 0n)) {
        throw new InvalidArgumentError(`config.linux.resources.${key}`, `${v} is negative`);
      }
    }
  }
  config.portMappings.forEach((pm, i) => {
    const field = `config.port_mappings[${i}]`;
    if (pm.containerPort < 1 || pm.containerPort > 65535) {
      throw new InvalidArgumentError(`${field}.container_port`, `${pm.containerPort} is not a port`);
    }
    if (pm.hostPort < 0 || pm.hostPort > 65535) throw new InvalidArgumentError(`${field}.host_port`, `${pm.hostPort} is not a port`);
  });
}
