/**
 * The embedded defaults, per OS. This file (with `src/platform/`) is the only place allowed
 * to look at `process.platform`; everything here takes the OS as a parameter so the Windows
 * defaults can be tested on Linux.
 */
import { posix, win32 } from "node:path";
import type {
  Config,
  ConfigOs,
  RegistryHostConfig,
  RegistryMirrorConfig,
  RuntimeHandlerConfig,
} from "./schema.ts";

/** The `source` reported when no config file was read. */
export const EMBEDDED_DEFAULTS_SOURCE = "<embedded defaults>";

/** Maps a Node platform name (or a `ConfigOs`) to the OS whose defaults apply; anything but Windows gets Linux's. */
export function toConfigOs(os: NodeJS.Platform | ConfigOs = process.platform): ConfigOs {
  return os === "win32" || os === "windows" ? "windows" : "linux";
}

/** The OS skiff is running on. */
export function hostOs(): ConfigOs {
  return toConfigOs(process.platform);
}

/** Where `loadConfig` looks for a config file when neither a path nor SKIFF_CONFIG is given. */
export function defaultConfigPath(os: NodeJS.Platform | ConfigOs = process.platform): string {
  return toConfigOs(os) === "windows" ? "C:\\ProgramData\\skiff\\config.toml" : "/etc/skiff/config.toml";
}

/**
 * The CRI endpoint URL a client dials when not told otherwise: the default `server.socket`,
 * with the scheme the kubelet's `--container-runtime-endpoint` flag expects.
 */
export function defaultEndpoint(os: NodeJS.Platform | ConfigOs = process.platform): string {
  return toConfigOs(os) === "windows" ? "npipe:////./pipe/skiff" : "unix:///run/skiff/skiff.sock";
}

/** `defaultEndpoint` for the OS skiff runs on. */
export const DEFAULT_ENDPOINT: string = defaultEndpoint();

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * The fields a handler gets when the file defines one that the defaults do not know
 * (e.g. `[runtimes.kata]`). `runtime_path` stays empty, which validation rejects for `oci`:
 * there is no sensible guess for an arbitrary runtime's binary.
 */
export function newHandlerDefaults(os: ConfigOs): RuntimeHandlerConfig {
  return {
    runtimeType: os === "windows" ? "hcs" : "oci",
    runtimePath: "",
    runtimeRoot: "",
    baseRuntimeSpec: "",
    podAnnotations: [],
    containerAnnotations: [],
    privilegedWithoutHostDevices: false,
    sandboxMode: "podsandbox",
    sandboxProcess: "auto",
    sandboxIsolation: "process",
    hcsSchemaVersion: "auto",
    hcsKeepResourcesOnFailure: false,
  };
}

/** The fields of a `[registry.mirrors."<host>"]` table the file leaves out. */
export function newMirrorDefaults(): RegistryMirrorConfig {
  return { endpoints: [] };
}

/** The fields of a `[registry.hosts."<host>"]` table the file leaves out. */
export function newRegistryHostDefaults(): RegistryHostConfig {
  return {
    insecureSkipVerify: false,
    plainHttp: false,
    caFile: "",
    username: "",
    password: "",
    auth: "",
    identityToken: "",
  };
}

/**
 * The defaults before derived values are filled in: `image.importDir` and each handler's
 * `runtimeRoot` are `""` here, so a file that moves `paths.root` or `paths.state` moves them
 * too. `parseConfig` merges a file over this, then calls `resolveDerived`.
 */
export function baseDefaults(os: ConfigOs): Config {
  const windows = os === "windows";
  const handler = (patch: Partial<RuntimeHandlerConfig>): RuntimeHandlerConfig => ({
    ...newHandlerDefaults(os),
    ...patch,
  });
  return {
    server: {
      socket: windows ? "npipe:////./pipe/skiff" : "/run/skiff/skiff.sock",
      socketMode: 0o660,
      socketGroup: "",
      metricsAddress: "",
      maxRecvMessageBytes: 16 * MiB,
      maxSendMessageBytes: 16 * MiB,
      shutdownTimeoutMs: 10_000,
      logLevel: "info",
    },
    paths: windows
      ? { root: "C:\\ProgramData\\skiff\\root", state: "C:\\ProgramData\\skiff\\state" }
      : { root: "/var/lib/skiff", state: "/run/skiff" },
    linux: {
      cgroupDriver: "auto",
      restrictOomScoreAdj: "auto",
      conmonPath: windows ? "" : "/usr/bin/conmon",
      infraPath: windows ? "" : "/usr/bin/catatonit",
      shmSize: 64 * MiB,
    },
    runtime: { defaultRuntime: windows ? "runhcs-wcow-process" : "runc" },
    runtimes: windows
      ? { "runhcs-wcow-process": handler({ runtimeType: "hcs" }) }
      : {
          runc: handler({ runtimePath: "/usr/sbin/runc" }),
          crun: handler({ runtimePath: "/usr/bin/crun" }),
        },
    cni: windows
      ? { confDir: "C:\\ProgramData\\skiff\\cni\\conf", binDirs: ["C:\\ProgramData\\skiff\\cni\\bin"], maxConfNum: 1, writeDefault: false, defaultSubnet: "10.88.0.0/16" }
      : { confDir: "/etc/cni/net.d", binDirs: ["/usr/lib/cni", "/opt/cni/bin"], maxConfNum: 1, writeDefault: true, defaultSubnet: "10.88.0.0/16" },
    registry: { mirrors: {}, hosts: {} },
    image: {
      pullConcurrency: 3,
      unpackConcurrency: 0,
      progressTimeoutMs: 5 * 60_000,
      sandboxImage: "",
      importDir: "",
      maxLayerBytes: 16 * GiB,
    },
    streaming: { address: "127.0.0.1:0", idleTimeoutMs: 4 * 3_600_000, enableTls: false, tlsCertFile: "", tlsKeyFile: "", tokenTtlMs: 60_000 },
  };
}

/** Fills the values that default to a path under another one; mutates and returns `config`. */
export function resolveDerived(config: Config, os: ConfigOs): Config {
  const path = os === "windows" ? win32 : posix;
  if (config.image.importDir === "") config.image.importDir = path.join(config.paths.root, "import");
  for (const [name, handler] of Object.entries(config.runtimes)) {
    if (handler.runtimeRoot === "") handler.runtimeRoot = path.join(config.paths.state, "runtime", name);
  }
  return config;
}

/** The complete default config for `os` (a Node platform name such as "linux" or "win32"). */
export function defaultConfig(os: NodeJS.Platform | ConfigOs = process.platform): Config {
  const target = toConfigOs(os);
  return resolveDerived(baseDefaults(target), target);
}
