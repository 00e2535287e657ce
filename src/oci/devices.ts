/**
 * CRI `devices` (host device nodes exposed to a container) as OCI `linux.devices` plus the
 * device-cgroup rules that let the container use them.
 *
 * What a host path is (char or block, major/minor, mode, owner) is a host fact: the caller
 * stats every path `deviceHostPaths` lists and passes the answers in as `deviceInfo`.
 */
import type { ContainerConfig } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { DeviceCgroup, LinuxDevice } from "./spec.ts";

/** What the caller found at one host path (from stat(2)). */
export type DeviceInfo = {
  type: "c" | "b";
  major: number;
  minor: number;
  /** Permission bits of the node (st_mode & 0o7777). */
  fileMode: number;
  uid: number;
  gid: number;
};

/** The host paths of `config.devices`, in order and without repeats: what the caller must stat. */
export function deviceHostPaths(config: Pick<ContainerConfig, "devices">): string[] {
  return [...new Set(config.devices.map((d) => d.hostPath))];
}

const PERMISSIONS = /^[rwm]+$/;

/**
 * The device nodes and cgroup allow rules for `config.devices`. An empty container path
 * means "the same path as on the host"; empty permissions mean `rwm`. A host path with no
 * entry in `info` is an InvalidArgumentError naming `config.devices[i].host_path`.
 */
export function criDevices(
  config: Pick<ContainerConfig, "devices">,
  info: Readonly<Record<string, DeviceInfo>>,
): { devices: LinuxDevice[]; rules: DeviceCgroup[] } {
  const devices: LinuxDevice[] = [];
  const rules: DeviceCgroup[] = [];
  config.devices.forEach((d, i) => {
    const field = `config.devices[${i}]`;
    if (!d.hostPath.startsWith("/")) {
      throw new InvalidArgumentError(`${field}.host_path`, `"${d.hostPath}" is not an absolute path`);
    }
    const path = d.containerPath || d.hostPath;
    if (!path.startsWith("/")) throw new InvalidArgumentError(`${field}.container_path`, `"${path}" is not an absolute path`);
    const access = d.permissions || "rwm";
    if (!PERMISSIONS.test(access)) {
      throw new InvalidArgumentError(`${field}.permissions`, `"${d.permissions}" is not a combination of r, w and m`);
    }
    const found = Object.hasOwn(info, d.hostPath) ? info[d.hostPath] : undefined;
    if (!found) throw new InvalidArgumentError(`${field}.host_path`, `"${d.hostPath}" is not a device node on this host`);
    devices.push({ path, type: found.type, major: found.major, minor: found.minor, fileMode: found.fileMode, uid: found.uid, gid: found.gid });
    rules.push({ allow: true, type: found.type, major: found.major, minor: found.minor, access });
  });
  return { devices, rules };
}
