/**
 * Everything `skiff doctor` reads from the host, gathered once by `readDoctorFacts`
 * (read-facts.ts) and judged by the pure checks (runtime-checks.ts, kernel-checks.ts,
 * network-checks.ts, node-checks.ts). Unit tests build these by hand.
 */
import type { CgroupDriver, CgroupLayout } from "../runtime/host-facts.ts";

/** A binary skiff runs. */
export type BinaryFacts = {
  path: string;
  /** Why it cannot be run (`"/usr/bin/conmon" does not exist`); undefined when it can. */
  problem?: string;
  /** What `<path> --version` printed (stdout and stderr), when it ran. */
  versionOutput?: string;
};

export type RuntimeFacts = BinaryFacts & {
  handler: string;
  isDefault: boolean;
  /** The distribution's changelog of the runtime's package (Debian's changelog.Debian.gz), "" when none was found. */
  changelog: string;
  /** `mountOptions` of `<runtime> features`; undefined when it has no such command. */
  mountOptions?: string[];
};

/** The infra process of pods: the host's catatonit, or the configured sandbox image instead. */
export type InfraFacts =
  | {
      kind: "binary";
      binary: BinaryFacts;
      /** It names an ELF interpreter (needs a libc it will not find). */
      dynamic?: boolean;
      /** The default handler has `sandbox_process = "always"`: every pod runs it, not only pods sharing a PID namespace. */
      everyPod: boolean;
    }
  | { kind: "image"; image: string };

export type CniFacts = {
  confDir: string;
  binDirs: string[];
  /** The networks skiff would load (first `max_conf_num`), with the plugin types each names. */
  networks: { name: string; source: string; pluginTypes: string[] }[];
  /** Files of the conf dir that do not load, each with its reason. */
  skipped: string[];
  /** `cni.write_default`: skiff writes its own conflist into an empty conf dir at start. */
  writeDefault: boolean;
  /** Plugin types of that default conflist. */
  defaultPluginTypes: string[];
  /** Where each plugin type named above was found; a missing key means not found. */
  found: Record<string, string>;
};

export type SocketFacts = {
  path: string;
  configuredMode: number;
  configuredGroup: string;
  /** The gid `configuredGroup` names; null when /etc/group has no such group; undefined when none is configured. */
  groupGid?: number | null;
  /** Mode bits of the socket's directory; undefined when it does not exist yet. */
  dirMode?: number;
  /** Mode bits and group of the socket; undefined when it does not exist (skiff is not running). */
  socketMode?: number;
  socketGid?: number;
};

export type DiskFacts =
  | { path: string; availBytes: number; totalBytes: number; availInodes: number; totalInodes: number }
  | { path: string; error: string };

/** One mirror endpoint probed with `GET <endpoint>/v2/`. */
export type MirrorProbe = {
  registry: string;
  endpoint: string;
  /** HTTP status of the answer (any answer, 401 included, means reachable). */
  status?: number;
  /** Why no answer came (timeout, refused, TLS). */
  error?: string;
};

export type DoctorFacts = {
  /** What the config's host checks (src/config/host.ts) found wrong with files it names, `<key>: <problem>`. */
  configErrors: string[];
  runtimes: RuntimeFacts[];
  conmon: BinaryFacts;
  infra: InfraFacts;
  cni: CniFacts;
  cgroup: { layout: CgroupLayout; driver: CgroupDriver; controllers: string[] };
  /** Filesystem types the kernel knows (/proc/filesystems). */
  filesystems: string[];
  kernelRelease: string;
  /** /proc/sys/user/max_user_namespaces; undefined when unreadable. */
  maxUserNamespaces?: number;
  /** iptables as found on PATH; `problem` set when it is not there. */
  iptables: BinaryFacts;
  socket: SocketFacts;
  disk: DiskFacts;
  /** adjtimex's view of the clock; undefined when it could not be read. */
  clock?: { synchronized: boolean; maxErrorUs: number };
  mirrors: MirrorProbe[];
};
