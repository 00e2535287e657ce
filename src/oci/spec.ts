/**
 * The subset of the OCI runtime spec (config.json) that skiff writes and reads.
 * Field names and nesting follow https://github.com/opencontainers/runtime-spec/blob/main/config.md
 * and config-linux.md exactly, so a value of `Spec` serialises straight to a bundle's
 * config.json. Fields skiff never sets are still allowed through a base_runtime_spec: the
 * base is parsed as JSON, and whatever it carries beyond these types is kept untouched.
 */

export type User = {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
};

export type Capabilities = {
  bounding?: string[];
  effective?: string[];
  permitted?: string[];
  inheritable?: string[];
  ambient?: string[];
};

export type Rlimit = { type: string; hard: number; soft: number };

export type Process = {
  terminal?: boolean;
  user: User;
  args?: string[];
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
  /** Windows only: the whole command line, used instead of `args` when set. */
  commandLine?: string;
  consoleSize?: { height: number; width: number };
};

export type Root = { path: string; readonly?: boolean };

export type Mount = {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
};

export type NamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";
export type Namespace = { type: NamespaceType; path?: string };

export type CpuResources = {
  shares?: number;
  quota?: number;
  period?: number;
  cpus?: string;
  mems?: string;
};

export type MemoryResources = {
  limit?: number;
  reservation?: number;
  swap?: number;
};

export type HugepageLimit = { pageSize: string; limit: number };

/** A device cgroup rule (`linux.resources.devices[]`). */
export type DeviceCgroup = {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
};

export type Resources = {
  cpu?: CpuResources;
  memory?: MemoryResources;
  hugepageLimits?: HugepageLimit[];
  unified?: Record<string, string>;
  devices?: DeviceCgroup[];
  pids?: { limit: number };
};

/** A device node to create in the container (`linux.devices[]`). */
export type LinuxDevice = {
  path: string;
  type: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
};

/** One argument condition of a seccomp rule (`linux.seccomp.syscalls[].args[]`). */
export type SeccompArg = { index: number; value: number; valueTwo?: number; op: string };

export type SeccompSyscall = { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] };

export type Seccomp = {
  defaultAction: string;
  /** The errno of `SCMP_ACT_ERRNO` as the default action (runc >= 1.1); EPERM when absent. */
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: SeccompSyscall[];
};

export type Linux = {
  namespaces?: Namespace[];
  resources?: Resources;
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: Seccomp;
  devices?: LinuxDevice[];
  mountLabel?: string;
  /** Propagation of the rootfs mount: `rslave`/`rshared` when a bind mount needs it. */
  rootfsPropagation?: string;
};

/** `windows.resources` (config-windows.md): CPU as a count, a weight (shares) or a cap (maximum, per 10,000). */
export type WindowsResources = {
  memory?: { limit?: number };
  cpu?: { count?: number; shares?: number; maximum?: number; affinity?: { mask: number; group: number }[] };
  storage?: { iops?: number; bps?: number; sandboxSize?: number };
};

export type WindowsNetwork = {
  endpointList?: string[];
  allowUnqualifiedDNSQuery?: boolean;
  DNSSearchList?: string[];
  networkSharedContainerName?: string;
  /** The HNS namespace (a GUID) the container joins. */
  networkNamespace?: string;
};

/**
 * The `windows` section (https://github.com/opencontainers/runtime-spec/blob/main/config-windows.md).
 * Keys a base spec carries beyond these are kept as given.
 */
export type Windows = {
  /** Image layers nearest first, then the scratch layer last (hcsshim's order). */
  layerFolders?: string[];
  devices?: { id: string; idType: string }[];
  resources?: WindowsResources;
  /** A gMSA credential spec (JSON text), passed to HCS as is. */
  credentialSpec?: unknown;
  servicing?: boolean;
  ignoreFlushesDuringBoot?: boolean;
  /** Present for Hyper-V isolation. */
  hyperv?: { utilityVMPath?: string };
  network?: WindowsNetwork;
  [key: string]: unknown;
};

export type Spec = {
  ociVersion: string;
  process?: Process;
  root?: Root;
  hostname?: string;
  mounts?: Mount[];
  annotations?: Record<string, string>;
  linux?: Linux;
  windows?: Windows;
};

/** The `process` section, created (with runc's defaults: root user, cwd `/`) if absent. */
export function processOf(s: Spec): Process {
  s.process ??= { user: { uid: 0, gid: 0 }, cwd: "/" };
  return s.process;
}

export function linuxOf(s: Spec): Linux {
  s.linux ??= {};
  return s.linux;
}

export function resourcesOf(s: Spec): Resources {
  const linux = linuxOf(s);
  linux.resources ??= {};
  return linux.resources;
}
