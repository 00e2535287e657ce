/**
 * The built-in base spec and the loading of a handler's `base_runtime_spec`.
 *
 * Every container spec starts from a base: the handler's JSON file when configured, else
 * `defaultLinuxSpec()`. The base is parsed once at start and then only ever copied
 * (`baseFor`), so one container's options can never leak into the next container's spec.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { Spec } from "./spec.ts";

export const OCI_VERSION = "1.1.0";

/** The PATH a process gets when neither the image nor the container sets one. */
export const DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Capabilities of an unprivileged container: the set Docker, containerd and CRI-O grant by
 * default, which Kubernetes users expect.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Paths under /proc and /sys that leak host information or allow host changes. */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

/** A fresh copy of the built-in Linux base spec, shaped like `runc spec` with the CRI defaults. */
export function defaultLinuxSpec(): Spec {
  const caps = [...DEFAULT_CAPABILITIES];
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [],
      env: [DEFAULT_PATH_ENV],
      cwd: "/",
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: false,
    },
    root: { path: "rootfs", readonly: false },
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
    ],
    linux: {
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
      resources: { devices: [{ allow: false, access: "rwm" }] },
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}

/**
 * Parses a `base_runtime_spec` file's text. `source` (the file path) is named in every
 * error, so a bad file fails skiff's start with a message that says which one.
 */
export function parseBaseSpec(json: string, source: string): Spec {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new InvalidArgumentError(`base_runtime_spec "${source}"`, "is not valid JSON", { cause: err });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InvalidArgumentError(`base_runtime_spec "${source}"`, "must be a JSON object");
  }
  const o = doc as Record<string, unknown>;
  if (typeof o.ociVersion !== "string" || o.ociVersion === "") {
    throw new InvalidArgumentError(`base_runtime_spec "${source}"`, "has no ociVersion");
  }
  for (const key of ["process", "root", "linux", "annotations", "windows"] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== "object" || v === null || Array.isArray(v))) {
      throw new InvalidArgumentError(`base_runtime_spec "${source}"`, `${key} must be an object`);
    }
  }
  if (o.mounts !== undefined && !Array.isArray(o.mounts)) {
    throw new InvalidArgumentError(`base_runtime_spec "${source}"`, "mounts must be an array");
  }
  return o as Spec;
}

/** A deep copy of `base` for one container: the base itself is never handed out. */
export function baseFor(base: Spec): Spec {
  return structuredClone(base);
}
