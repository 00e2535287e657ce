/**
 * The field tables: for every TOML table, which keys it has, the config property each one
 * fills, the codec that checks it and a one-line doc. Decoding (`parse.ts`) and rendering
 * the default file (`render.ts`) both read these tables, so a key cannot exist in one and
 * be missing from the other.
 */
import {
  absPath,
  absPathArray,
  autoOrBool,
  bool,
  type Codec,
  duration,
  fileMode,
  hostPort,
  int,
  oneOf,
  size,
  str,
  strArray,
} from "./codecs.ts";
import {
  CGROUP_DRIVERS,
  HCS_SCHEMA_VERSIONS,
  type CniConfig,
  type ImageConfig,
  type LinuxConfig,
  LOG_LEVELS,
  type PathsConfig,
  type RegistryHostConfig,
  type RegistryMirrorConfig,
  RUNTIME_TYPES,
  type RuntimeConfig,
  type RuntimeHandlerConfig,
  SANDBOX_ISOLATIONS,
  SANDBOX_MODES,
  SANDBOX_PROCESSES,
  type ServerConfig,
  type StreamingConfig,
} from "./schema.ts";
import { describeTomlValue, tomlValue } from "./toml-text.ts";

export interface Field<S, K extends keyof S> {
  /** The snake_case TOML key. */
  key: string;
  /** The property of the config object it fills. */
  prop: K;
  codec: Codec<S[K]>;
  /** One line, rendered as a comment above the key in the default config. */
  doc: string;
}

/** Every field of one table, each typed against its own property. */
export type FieldTable<S> = ReadonlyArray<{ [K in keyof S]-?: Field<S, K> }[keyof S]>;

const fieldsOf =
  <S>() =>
  <K extends keyof S>(key: string, prop: K, codec: Codec<S[K]>, doc: string): Field<S, K> => ({
    key,
    prop,
    codec,
    doc,
  });

// sun_path is 108 bytes on Linux, including the terminating NUL.
const MAX_UNIX_SOCKET_PATH = 107;

/** The listen socket: a unix socket path on Linux (a `unix://` prefix is accepted and dropped), a named pipe on Windows. */
const socket: Codec<string> = {
  decode(raw, ctx) {
    if (typeof raw !== "string") return { ok: false, errors: [{ message: `expected a string, got ${describeTomlValue(raw)}` }] };
    if (ctx.os === "windows") {
      return raw.startsWith("npipe://")
        ? { ok: true, value: raw }
        : { ok: false, errors: [{ message: `must be a named pipe like "npipe:////./pipe/skiff", got ${JSON.stringify(raw)}` }] };
    }
    const path = raw.startsWith("unix://") ? raw.slice("unix://".length) : raw;
    if (!path.startsWith("/")) {
      return { ok: false, errors: [{ message: `must be an absolute socket path like "/run/skiff/skiff.sock", got ${JSON.stringify(raw)}` }] };
    }
    const len = Buffer.byteLength(path);
    if (len > MAX_UNIX_SOCKET_PATH) {
      return { ok: false, errors: [{ message: `socket path is ${len} bytes long; unix sockets allow at most ${MAX_UNIX_SOCKET_PATH}` }] };
    }
    return { ok: true, value: path };
  },
  encode: tomlValue,
};

/** A group name or numeric gid; an integer in the file is kept as its decimal string. */
const socketGroup: Codec<string> = {
  decode(raw) {
    if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0) return { ok: true, value: String(raw) };
    if (typeof raw === "string" && /^[^\s:]*$/.test(raw)) return { ok: true, value: raw };
    return { ok: false, errors: [{ message: `expected a group name or numeric gid, got ${describeTomlValue(raw)}` }] };
  },
  encode: tomlValue,
};

const cidr = (s: string) => (/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(s) ? undefined : `"${s}" is not a CIDR such as 10.88.0.0/16`);

const notEmpty = (s: string) => (s === "" ? "must not be empty" : undefined);

const srv = fieldsOf<ServerConfig>();
export const serverFields: FieldTable<ServerConfig> = [
  srv("socket", "socket", socket, "CRI socket the kubelet connects to (--container-runtime-endpoint)."),
  srv("socket_mode", "socketMode", fileMode, "Permission bits of the socket file, as an octal string."),
  srv("socket_group", "socketGroup", socketGroup, 'Group (name or gid) that owns the socket; "" leaves it as created.'),
  srv("metrics_address", "metricsAddress", hostPort(true), 'host:port for the metrics endpoint; "" turns it off.'),
  srv("max_recv_message_bytes", "maxRecvMessageBytes", size(1, 2 ** 31 - 1), "Largest gRPC message skiff accepts."),
  srv("max_send_message_bytes", "maxSendMessageBytes", size(1, 2 ** 31 - 1), "Largest gRPC message skiff sends."),
  srv("shutdown_timeout", "shutdownTimeoutMs", duration, "How long in-flight requests may run after a stop signal."),
  srv("log_level", "logLevel", oneOf(LOG_LEVELS), 'One of "debug", "info", "warn", "error".'),
];

const pth = fieldsOf<PathsConfig>();
export const pathsFields: FieldTable<PathsConfig> = [
  pth("root", "root", absPath(false), "Persistent data: images, snapshots, the state database."),
  pth("state", "state", absPath(false), "Volatile state, gone after a reboot: sockets, netns pins, bundles."),
];

const lnx = fieldsOf<LinuxConfig>();
export const linuxFields: FieldTable<LinuxConfig> = [
  lnx("cgroup_driver", "cgroupDriver", oneOf(CGROUP_DRIVERS), '"systemd", "cgroupfs", or "auto" (systemd when it runs as init); must match the kubelet.'),
  lnx("restrict_oom_score_adj", "restrictOomScoreAdj", autoOrBool, 'Clamp oom_score_adj to skiff\'s own: true, false, or "auto" (when skiff may not lower it).'),
  lnx("conmon_path", "conmonPath", absPath(true), "Absolute path of conmon, the monitor run per container."),
  lnx("infra_path", "infraPath", absPath(true), "Static infra binary (catatonit) for pods when image.sandbox_image is empty."),
  lnx("shm_size", "shmSize", size(4096, 2 ** 40), "Size of each pod's private /dev/shm."),
];

const rt = fieldsOf<RuntimeConfig>();
export const runtimeFields: FieldTable<RuntimeConfig> = [
  rt("default_runtime", "defaultRuntime", str(notEmpty), "Handler for pods without a RuntimeClass; must be one of [runtimes]."),
];

const hnd = fieldsOf<RuntimeHandlerConfig>();
export const handlerFields: FieldTable<RuntimeHandlerConfig> = [
  hnd("runtime_type", "runtimeType", oneOf(RUNTIME_TYPES), '"oci" (runc, crun) on Linux, "hcs" on Windows.'),
  hnd("runtime_path", "runtimePath", absPath(true), "Absolute path of the OCI runtime binary (unused for hcs)."),
  hnd("runtime_root", "runtimeRoot", absPath(true), 'The runtime\'s --root state dir; "" means <paths.state>/runtime/<handler>.'),
  hnd("base_runtime_spec", "baseRuntimeSpec", absPath(true), 'JSON OCI spec every container spec starts from; "" uses the built-in one.'),
  hnd("pod_annotations", "podAnnotations", strArray(notEmpty), "Glob patterns of pod annotations passed into the OCI spec."),
  hnd("container_annotations", "containerAnnotations", strArray(notEmpty), "Glob patterns of container annotations passed into the OCI spec."),
  hnd("privileged_without_host_devices", "privilegedWithoutHostDevices", bool, "Privileged containers do not get the host's devices (for VM runtimes)."),
  hnd("sandbox_mode", "sandboxMode", oneOf(SANDBOX_MODES), '"podsandbox": skiff makes and holds each pod\'s namespaces.'),
  hnd("sandbox_process", "sandboxProcess", oneOf(SANDBOX_PROCESSES), '"auto": an infra process only for pods sharing a PID namespace; "always": for every pod (VM runtimes).'),
  hnd("sandbox_isolation", "sandboxIsolation", oneOf(SANDBOX_ISOLATIONS), 'hcs only: "process" (Argon) or "hyperv" (each pod in a utility VM, Xenon).'),
  hnd("hcs_schema_version", "hcsSchemaVersion", oneOf(HCS_SCHEMA_VERSIONS), 'hcs only: "auto" (1.0 before Windows build 17763, 2.1 from it on), "1.0" or "2.1".'),
  hnd("hcs_keep_resources_on_failure", "hcsKeepResourcesOnFailure", bool, "hcs only, debugging: a failed create leaves its layers, namespace and compute system."),
];

const cni = fieldsOf<CniConfig>();
export const cniFields: FieldTable<CniConfig> = [
  cni("conf_dir", "confDir", absPath(false), "Directory of CNI network configs (.conf, .conflist)."),
  cni("bin_dirs", "binDirs", absPathArray, "Directories searched for CNI plugin binaries, in order."),
  cni("max_conf_num", "maxConfNum", int(0), "How many network configs to load, in file-name order; 0 loads all."),
  cni("write_default", "writeDefault", bool, "Write a default bridge conflist into conf_dir at start when it holds none."),
  cni("default_subnet", "defaultSubnet", str(cidr), "Pod subnet (CIDR) of that default conflist."),
];

const httpUrl = (s: string) => {
  try {
    const u = new URL(s);
    if (u.protocol === "http:" || u.protocol === "https:") return undefined;
  } catch {
    // fall through to the message below
  }
  return `invalid endpoint ${JSON.stringify(s)}: expected an http:// or https:// URL`;
};

const mir = fieldsOf<RegistryMirrorConfig>();
export const mirrorFields: FieldTable<RegistryMirrorConfig> = [
  mir("endpoints", "endpoints", strArray(httpUrl), "Mirrors tried in order before the registry itself."),
];

const base64 = (s: string) => {
  if (s === "") return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || !Buffer.from(s, "base64").toString("utf8").includes(":")) {
    return 'must be the base64 of "username:password"';
  }
  return undefined;
};

const hst = fieldsOf<RegistryHostConfig>();
export const hostFields: FieldTable<RegistryHostConfig> = [
  hst("insecure_skip_verify", "insecureSkipVerify", bool, "Do not verify the registry's TLS certificate."),
  hst("plain_http", "plainHttp", bool, "Talk plain HTTP instead of HTTPS."),
  hst("ca_file", "caFile", absPath(true), "PEM bundle of CAs to trust for this host."),
  hst("username", "username", str(), "User name for basic auth."),
  hst("password", "password", str(), "Password for basic auth."),
  hst("auth", "auth", str(base64), 'base64 of "username:password", as in a Docker config.json.'),
  hst("identity_token", "identityToken", str(), "Refresh token for the registry's token server."),
];

const img = fieldsOf<ImageConfig>();
export const imageFields: FieldTable<ImageConfig> = [
  img("pull_concurrency", "pullConcurrency", int(1, 1024), "Layers downloaded at once per pull."),
  img("unpack_concurrency", "unpackConcurrency", int(0, 64), "Layers unpacked at once, each in a Worker; 0 = one per core, at most 4."),
  img("progress_timeout", "progressTimeoutMs", duration, 'Cancel a pull that makes no progress for this long; "0s" never does.'),
  img("sandbox_image", "sandboxImage", str(), 'Pod infra image; "" uses the built-in catatonit infra, no pull needed.'),
  img("import_dir", "importDir", absPath(true), 'Image archives found here are imported at start; "" means <paths.root>/import.'),
  img("max_layer_bytes", "maxLayerBytes", size(1), "Largest unpacked size of one layer, a bound on decompression."),
];

const stm = fieldsOf<StreamingConfig>();
export const streamingFields: FieldTable<StreamingConfig> = [
  stm("address", "address", hostPort(false), "host:port of the exec/attach/port-forward server; port 0 picks one."),
  stm("idle_timeout", "idleTimeoutMs", duration, 'Close a stream idle for this long; "0s" never does.'),
  stm("enable_tls", "enableTls", bool, "Serve https/wss (the kubelet accepts any certificate from the runtime)."),
  stm("tls_cert_file", "tlsCertFile", absPath(true), 'PEM certificate for TLS; "" with tls_key_file "" makes a self-signed one at start.'),
  stm("tls_key_file", "tlsKeyFile", absPath(true), "PEM private key of tls_cert_file."),
  stm("token_ttl", "tokenTtlMs", duration, "How long a URL from Exec/Attach/PortForward may wait for its single use."),
];

/**
 * A runtime handler name is what a RuntimeClass's `handler` says, and Kubernetes requires
 * that to be a DNS label.
 */
export function handlerNameProblem(name: string): string | undefined {
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= 63) return undefined;
  return "a runtime handler name must be a DNS label (lowercase letters, digits and '-', at most 63 characters)";
}

/** A registry host key: `docker.io`, `myreg:5000`, `[::1]:5000`; `*` only for mirrors (any host). */
export function registryHostProblem(host: string, allowWildcard: boolean): string | undefined {
  if (allowWildcard && host === "*") return undefined;
  if (/^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host)) return undefined;
  return 'a registry host must look like "docker.io" or "myreg:5000", without a scheme or path';
}
