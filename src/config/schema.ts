/**
 * The typed shape of skiff's configuration.
 *
 * The TOML file uses snake_case keys (`[server] socket_mode`); this object uses camelCase
 * properties, and durations carry an `Ms` suffix so their unit is never a guess. Every value
 * is resolved: defaults are merged in and derived paths (`image.importDir`,
 * `runtimes.<h>.runtimeRoot`) are filled, so consumers never re-derive anything.
 * The field tables in `fields.ts` map each TOML key to its property here.
 */
import { LOG_LEVELS, type LogLevel } from "../logger.ts";

/** The OS a config is meant for. Built from `process.platform` by `toConfigOs`. */
export type ConfigOs = "linux" | "windows";

export { LOG_LEVELS, type LogLevel };

export const CGROUP_DRIVERS = ["auto", "systemd", "cgroupfs"] as const;
export type CgroupDriver = (typeof CGROUP_DRIVERS)[number];

/**
 * How a handler runs containers: `oci` drives an OCI runtime binary (runc, crun) through
 * conmon on Linux; `hcs` calls the Host Compute Service on Windows.
 */
export const RUNTIME_TYPES = ["oci", "hcs"] as const;
export type RuntimeType = (typeof RUNTIME_TYPES)[number];

/** How an `hcs` handler isolates pods: process isolation (Argon) or a Hyper-V utility VM (Xenon). */
export const SANDBOX_ISOLATIONS = ["process", "hyperv"] as const;
export type SandboxIsolation = (typeof SANDBOX_ISOLATIONS)[number];

/** The HCS schema an `hcs` handler writes: chosen from the Windows build, or forced. */
export const HCS_SCHEMA_VERSIONS = ["auto", "1.0", "2.1"] as const;
export type HcsSchemaVersion = (typeof HCS_SCHEMA_VERSIONS)[number];

/** Only the pod-sandbox mode (an infra process per pod) is implemented. */
export const SANDBOX_MODES = ["podsandbox"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/**
 * When a pod gets an infra process. `auto`: only a pod whose containers share one PID
 * namespace (`namespace_options.pid` POD) gets one, as that namespace needs a PID 1;
 * every other pod is its pinned namespaces, files and network alone. `always`: every pod
 * gets one, for runtimes that need a sandbox container (VM runtimes such as Kata read
 * the sandbox spec and its pod-resource annotations).
 */
export const SANDBOX_PROCESSES = ["auto", "always"] as const;
export type SandboxProcess = (typeof SANDBOX_PROCESSES)[number];

/**
 * `"auto"` lowers nothing by itself: at start skiff checks whether it may lower
 * `oom_score_adj` (it may not in a user namespace or without CAP_SYS_RESOURCE) and, if not,
 * clamps the container's value to its own. `true`/`false` force the decision.
 */
export type RestrictOomScoreAdj = "auto" | boolean;

export interface ServerConfig {
  /** Linux: a filesystem path (a `unix://` prefix in the file is stripped). Windows: `npipe://...`. */
  socket: string;
  /** Permission bits of the socket file, e.g. `0o660`. */
  socketMode: number;
  /** Group name or numeric gid to own the socket; `""` leaves it as created. */
  socketGroup: string;
  /** `host:port` of the metrics listener; `""` turns it off. */
  metricsAddress: string;
  maxRecvMessageBytes: number;
  maxSendMessageBytes: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
}

export interface PathsConfig {
  /** Persistent data: images, snapshots, the store. */
  root: string;
  /** Runtime state that does not survive a reboot: sockets, netns pins, bundles. */
  state: string;
}

export interface LinuxConfig {
  cgroupDriver: CgroupDriver;
  restrictOomScoreAdj: RestrictOomScoreAdj;
  /** Absolute path of conmon, the per-container monitor. */
  conmonPath: string;
  /** Absolute path of the static infra binary (catatonit) used when no sandbox image is set. */
  infraPath: string;
  /** Size of each pod's private /dev/shm tmpfs, in bytes. */
  shmSize: number;
}

export interface RuntimeConfig {
  /** Handler used when a pod names no RuntimeClass; must be a key of `runtimes`. */
  defaultRuntime: string;
}

/** One `[runtimes.<handler>]` table; the handler name is what a RuntimeClass refers to. */
export interface RuntimeHandlerConfig {
  runtimeType: RuntimeType;
  /** Absolute path of the OCI runtime binary; unused (empty) for `hcs`. */
  runtimePath: string;
  /** The runtime's `--root` state directory; defaults to `<paths.state>/runtime/<handler>`. */
  runtimeRoot: string;
  /** Absolute path of a JSON OCI spec used as the base of every container spec; `""` = built-in. */
  baseRuntimeSpec: string;
  /** Glob patterns of pod annotations passed through to the OCI spec. */
  podAnnotations: string[];
  /** Glob patterns of container annotations passed through to the OCI spec. */
  containerAnnotations: string[];
  /** Privileged containers of this handler do not get the host's devices (VM runtimes). */
  privilegedWithoutHostDevices: boolean;
  sandboxMode: SandboxMode;
  sandboxProcess: SandboxProcess;
  /** `hcs` only: process isolation, or each pod in a Hyper-V utility VM. */
  sandboxIsolation: SandboxIsolation;
  /** `hcs` only: `auto` picks 1.0 before Windows Server 2019 (build 17763) and 2.1 from it on. */
  hcsSchemaVersion: HcsSchemaVersion;
  /** `hcs` only, for debugging: a failed create leaves what it made (layers, namespace, system) for hcsdiag. */
  hcsKeepResourcesOnFailure: boolean;
}

export interface CniConfig {
  confDir: string;
  binDirs: string[];
  /** How many network configs to load from `confDir`; 0 loads them all. */
  maxConfNum: number;
  /** Write a default bridge conflist into `confDir` at start when it holds none. */
  writeDefault: boolean;
  /** Pod subnet of that default conflist. */
  defaultSubnet: string;
}

/** `[registry.mirrors."<host>"]`: where to pull from instead of (then before) `<host>`. */
export interface RegistryMirrorConfig {
  endpoints: string[];
}

/** `[registry.hosts."<host>"]`: how to talk to one registry host. */
export interface RegistryHostConfig {
  insecureSkipVerify: boolean;
  plainHttp: boolean;
  /** Absolute path of a PEM bundle to trust for this host; `""` = system roots. */
  caFile: string;
  username: string;
  password: string;
  /** base64 of `username:password`, as in a Docker config.json. */
  auth: string;
  identityToken: string;
}

export interface RegistryConfig {
  mirrors: Record<string, RegistryMirrorConfig>;
  hosts: Record<string, RegistryHostConfig>;
}

export interface ImageConfig {
  pullConcurrency: number;
  /** Layers unpacked at once, each in a Worker of its own; 0 = one per core, at most 4. */
  unpackConcurrency: number;
  /** A pull that makes no progress for this long is cancelled; 0 = never. */
  progressTimeoutMs: number;
  /** Image of the pod infra container; `""` = the built-in catatonit infra. */
  sandboxImage: string;
  /** Directory scanned for image archives to import at start; defaults to `<paths.root>/import`. */
  importDir: string;
  /** Upper bound on one layer's unpacked size, so a hostile layer cannot fill the disk. */
  maxLayerBytes: number;
}

export interface StreamingConfig {
  /** `host:port` of the exec/attach/port-forward server; port 0 picks a free one. */
  address: string;
  /** A stream with no traffic for this long is closed; 0 = never. */
  idleTimeoutMs: number;
  /** Serve over TLS (containerd's `enable_tls_streaming`). */
  enableTls: boolean;
  /** PEM certificate and key for TLS; both empty = a self-signed certificate made at start. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** How long an exec/attach/port-forward URL stays valid (single use). */
  tokenTtlMs: number;
}

export interface Config {
  server: ServerConfig;
  paths: PathsConfig;
  linux: LinuxConfig;
  runtime: RuntimeConfig;
  runtimes: Record<string, RuntimeHandlerConfig>;
  cni: CniConfig;
  registry: RegistryConfig;
  image: ImageConfig;
  streaming: StreamingConfig;
}
