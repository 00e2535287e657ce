/** Device options: nodes to create in the container and the cgroup rules to use them. */
import { linuxOf, resourcesOf } from "../spec.ts";
import type { DeviceCgroup, LinuxDevice } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";

/**
 * Adds device nodes (a node already in the spec at the same path, e.g. a privileged
 * container's host device, is replaced) and appends the allow rules after the spec's,
 * so they take effect after the base's deny-all.
 */
export const withDevices =
  (devices: readonly LinuxDevice[], rules: readonly DeviceCgroup[]): SpecOpt =>
  (s) => {
    const linux = linuxOf(s);
    const paths = new Set(devices.map((d) => d.path));
    linux.devices = [...(linux.devices ?? []).filter((d) => !paths.has(d.path)), ...devices.map((d) => ({ ...d }))];
    const res = resourcesOf(s);
    res.devices = [...(res.devices ?? []), ...rules.map((r) => ({ ...r }))];
  };
