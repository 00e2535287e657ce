/**
 * SELinux labels from CRI `selinux_options`.
 *
 * On a host without SELinux the options are skipped silently, and that is correct, not a
 * shortcut: the kubelet sends the pod's seLinuxOptions whatever the node runs, and a
 * label can only be applied by a kernel with SELinux enabled (runc would fail writing
 * /proc/self/attr/exec). containerd and CRI-O do the same.
 */
import type { SELinuxOption } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";

/** The parts used when `selinux_options` leaves one empty: the usual container policy's. */
export const SELINUX_DEFAULTS = { user: "system_u", role: "system_r", type: "container_t", level: "s0" } as const;

/** The type of files a container may write (its mounts), in the usual container policy. */
export const SELINUX_FILE_TYPE = "container_file_t";

export type SelinuxLabels = { process: string; mount: string };

const PART = /^[A-Za-z0-9_.]*$/;
const LEVEL = /^[A-Za-z0-9_.:,\- ]*$/;

/**
 * The process label `user:role:type:level` and the mount label for the same user and
 * level (role `object_r`, type `container_file_t`: files take the object role and a file
 * type, not the process's). Undefined when the host has no SELinux, the options are
 * absent, or the container is privileged (it runs unconfined, api.proto).
 */
export function selinuxLabels(
  opts: SELinuxOption | undefined,
  field: string,
  host: { selinux?: boolean },
  privileged = false,
): SelinuxLabels | undefined {
  if (!opts) return undefined;
  for (const k of ["user", "role", "type"] as const) {
    if (!PART.test(opts[k])) throw new InvalidArgumentError(`${field}.${k}`, `"${opts[k]}" is not a valid SELinux ${k}`);
  }
  if (!LEVEL.test(opts.level)) throw new InvalidArgumentError(`${field}.level`, `"${opts.level}" is not a valid SELinux level`);
  if (!host.selinux || privileged) return undefined;
  if (!opts.user && !opts.role && !opts.type && !opts.level) return undefined;
  const user = opts.user || SELINUX_DEFAULTS.user;
  const level = opts.level || SELINUX_DEFAULTS.level;
  return {
    process: `${user}:${opts.role || SELINUX_DEFAULTS.role}:${opts.type || SELINUX_DEFAULTS.type}:${level}`,
    mount: `${user}:object_r:${SELINUX_FILE_TYPE}:${level}`,
  };
}
