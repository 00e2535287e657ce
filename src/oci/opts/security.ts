/** Security options: capabilities, privileged mode, no_new_privs, masked/readonly paths. */
import { InvalidArgumentError } from "../../errors.ts";
import { linuxOf, processOf, resourcesOf } from "../spec.ts";
import type { LinuxDevice } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";

/** Every Linux capability, in kernel order (include/uapi/linux/capability.h). */
export const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

const KNOWN = new Set(ALL_CAPABILITIES);

/**
 * `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name the same capability; the kubelet
 * sends the bare form. Unknown names are refused so a typo does not silently grant nothing.
 */
export function normalizeCapability(name: string, field: string): string {
  const upper = name.toUpperCase();
  const full = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  if (!KNOWN.has(full)) throw new InvalidArgumentError(field, `unknown capability "${name}"`);
  return full;
}

export type CapabilityChange = { add: readonly string[]; drop: readonly string[]; ambient?: readonly string[] };

/**
 * Applies CRI add/drop to the bounding, effective and permitted sets. `ALL` in add grants
 * every capability the host can grant (`hostCapabilities`, skiff's own bounding set, as
 * for privileged containers: asking the runtime for one the host lacks fails the start;
 * every known one when not given), `ALL` in drop clears the sets; then the named adds,
 * then the named drops are applied, so a capability both added and dropped ends up dropped.
 */
export function withCapabilities(
  change: CapabilityChange,
  hostCapabilities?: readonly string[],
  field = "config.linux.security_context.capabilities",
): SpecOpt {
  const isAll = (c: string) => c.toUpperCase() === "ALL";
  const addAll = change.add.some(isAll);
  const dropAll = change.drop.some(isAll);
  const add = change.add.filter((c) => !isAll(c)).map((c) => normalizeCapability(c, `${field}.add_capabilities`));
  const drop = change.drop.filter((c) => !isAll(c)).map((c) => normalizeCapability(c, `${field}.drop_capabilities`));
  const ambient = (change.ambient ?? []).map((c) => normalizeCapability(c, `${field}.add_ambient_capabilities`));
  return (s) => {
    const caps = (processOf(s).capabilities ??= {});
    for (const set of ["bounding", "effective", "permitted"] as const) {
      let cur = caps[set] ?? [];
      if (addAll) cur = [...(hostCapabilities ?? ALL_CAPABILITIES)];
      if (dropAll) cur = [];
      for (const c of add) if (!cur.includes(c)) cur = [...cur, c];
      cur = cur.filter((c) => !drop.includes(c));
      caps[set] = cur;
    }
    if (ambient.length > 0) {
      // The kernel only keeps an ambient capability that is also inheritable and permitted.
      const allowed = ambient.filter((c) => caps.permitted?.includes(c));
      caps.inheritable = [...new Set([...(caps.inheritable ?? []), ...allowed])];
      caps.ambient = [...new Set([...(caps.ambient ?? []), ...allowed])];
    }
  };
}

/**
 * Privileged mode: every capability the host grants (`hostCapabilities`, skiff's own
 * bounding set: the runtime cannot hand out more, and fails the start if asked to; every
 * known one when not given), nothing masked or read-only, /sys and cgroupfs writable, and
 * (unless the handler says otherwise) the host's devices, resolved by the caller, with
 * full device-cgroup access.
 */
export const withPrivileged =
  (hostDevices: readonly LinuxDevice[] | undefined, hostCapabilities?: readonly string[]): SpecOpt =>
  (s) => {
    const all = [...(hostCapabilities ?? ALL_CAPABILITIES)];
    processOf(s).capabilities = { bounding: all, effective: [...all], permitted: [...all] };
    const linux = linuxOf(s);
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    for (const m of s.mounts ?? []) {
      if (m.type === "sysfs" || m.type === "cgroup" || m.type === "cgroup2") {
        m.options = (m.options ?? []).filter((o) => o !== "ro").concat(m.options?.includes("rw") ? [] : ["rw"]);
      }
    }
    if (hostDevices) {
      linux.devices = hostDevices.map((d) => ({ ...d }));
      resourcesOf(s).devices = [{ allow: true, access: "rwm" }];
    }
  };

export const withNoNewPrivileges: SpecOpt = (s) => {
  processOf(s).noNewPrivileges = true;
};

export const withMaskedPaths =
  (paths: readonly string[]): SpecOpt =>
  (s) => {
    linuxOf(s).maskedPaths = [...paths];
  };

export const withReadonlyPaths =
  (paths: readonly string[]): SpecOpt =>
  (s) => {
    linuxOf(s).readonlyPaths = [...paths];
  };

/** Removes what must not reach the infra process: AppArmor profile, seccomp, rlimits. */
export const withoutDefaultSecurity: SpecOpt = (s) => {
  const p = processOf(s);
  delete p.apparmorProfile;
  delete p.rlimits;
  if (s.linux) delete s.linux.seccomp;
};
