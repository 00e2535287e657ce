/**
 * Checks of a ContainerConfig that must pass before anything is created, each naming the
 * CRI field at fault; and the host-side resolution of CRI mount sources.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContainerConfig, Mount } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError, NotSupportedError } from "../errors.ts";
import { checkMapSize, checkName, checkPathLength } from "../sandbox/sandbox-config-check.ts";

/** Validates what CreateContainer needs before it reserves the name. */
export function checkContainerConfig(config: ContainerConfig | undefined): asserts config is ContainerConfig {
  if (!config) throw new InvalidArgumentError("config", "is required");
  if (!config.metadata) throw new InvalidArgumentError("config.metadata", "is required");
  checkName(config.metadata.name, "config.metadata.name");
  if (!config.image?.image) throw new InvalidArgumentError("config.image.image", "is required");
  checkMapSize(config.labels, "config.labels");
  checkMapSize(config.annotations, "config.annotations");
  const lp = config.logPath;
  checkPathLength(lp, "config.log_path");
  if (lp !== "") {
    if (lp.startsWith("/")) throw new InvalidArgumentError("config.log_path", `"${lp}" must be relative to the pod's log_directory`);
    if (lp.split(/[\\/]/).includes("..") || lp.includes("\0")) throw new InvalidArgumentError("config.log_path", `"${lp}" must not leave the pod's log_directory`);
  }
  const r = config.linux?.resources;
  if (r) {
    const nonNegative = [
      ["cpu_period", r.cpuPeriod],
      ["cpu_shares", r.cpuShares],
      ["memory_limit_in_bytes", r.memoryLimitInBytes],
      ["memory_swap_limit_in_bytes", r.memorySwapLimitInBytes],
    ] as const;
    for (const [key, v] of nonNegative) {
      if (v < (key === "memory_swap_limit_in_bytes" ? -1n : 0n)) throw new InvalidArgumentError(`config.linux.resources.${key}`, `${v} is negative`);
    }
    if (r.cpuQuota < -1n) throw new InvalidArgumentError("config.linux.resources.cpu_quota", `${r.cpuQuota} is negative`);
  }
  config.mounts.forEach((m, i) => {
    // An image volume (KEP-4639) names an image instead of a host path: not built, so
    // Unimplemented, which tells the caller (critest too) that the feature is missing.
    if (m.image?.image) throw new NotSupportedError(`config.mounts[${i}].image: image volumes are not supported by skiff yet`);
  });
}

/**
 * The CRI mounts with each host path made real: a symlink is resolved to what it points
 * at (so the runtime mounts exactly what was checked), a dangling or looping link is an
 * error, and a missing path is created as a directory, as kubelets expect of runtimes.
 */
export function resolveMountSources(mounts: readonly Mount[]): Mount[] {
  return mounts.map((m, i) => {
    const field = `config.mounts[${i}].host_path`;
    if (!m.hostPath.startsWith("/")) throw new InvalidArgumentError(field, `"${m.hostPath}" is not an absolute path`);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(m.hostPath);
    } catch {
      st = undefined;
    }
    if (!st) {
      fs.mkdirSync(m.hostPath, { recursive: true, mode: 0o755 });
      return m;
    }
    if (!st.isSymbolicLink()) return m;
    let real: string;
    try {
      real = fs.realpathSync(m.hostPath);
    } catch (err) {
      throw new InvalidArgumentError(field, `"${m.hostPath}" is a symlink that leads nowhere`, { cause: err });
    }
    return { ...m, hostPath: real };
  });
}

const lstatOr = (p: string): fs.Stats | undefined => {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
};

/**
 * Makes the directories of a container's log file under the pod's log dir (`log_path`
 * may name a subdir, as the kubelet's `<container>/<restart>.log` does), refusing one
 * whose directories are symlinks or not directories, or whose file is there as anything
 * but a regular file. Whoever can write into the log dir (a pod with a hostPath volume
 * of /var/log/pods, say) could otherwise point conmon, which runs as root, at any file
 * on the host. Everything is checked before anything is made, so a refusal changes
 * nothing on disk.
 */
export function prepareLogPath(logDirectory: string, logPath: string): void {
  const parts = logPath.split("/").filter((p) => p !== "" && p !== ".");
  const dirs = [logDirectory];
  for (const part of parts.slice(0, -1)) dirs.push(path.join(dirs.at(-1)!, part));
  const missing: string[] = [];
  for (const dir of dirs) {
    const st = missing.length > 0 ? undefined : lstatOr(dir);
    if (!st) {
      missing.push(dir);
      continue;
    }
    // The pod's own log dir is the kubelet's to choose; what lies below it is checked.
    if (dir !== logDirectory && (st.isSymbolicLink() || !st.isDirectory())) {
      throw new InvalidArgumentError("config.log_path", `"${logPath}" leaves the pod's log_directory: "${dir}" is ${st.isSymbolicLink() ? "a symlink" : "not a directory"}`);
    }
  }
  const file = path.join(dirs.at(-1)!, parts.at(-1) ?? "");
  const st = missing.length > 0 ? undefined : lstatOr(file);
  if (st && !st.isFile()) throw new InvalidArgumentError("config.log_path", `"${file}" exists and is ${st.isSymbolicLink() ? "a symlink" : "not a regular file"}`);
  for (const dir of missing) fs.mkdirSync(dir, { recursive: true });
}
