/**
 * skiff's configuration: the typed `Config`, its defaults per OS, parsing and checking of
 * the TOML file, host checks, and the default file printed by `skiff config default`.
 */
export { ConfigError, formatProblem } from "./config-error.ts";
export type { ConfigProblem } from "./config-error.ts";
export {
  baseDefaults,
  defaultConfig,
  defaultConfigPath,
  DEFAULT_ENDPOINT,
  defaultEndpoint,
  EMBEDDED_DEFAULTS_SOURCE,
  hostOs,
  resolveDerived,
  toConfigOs,
} from "./defaults.ts";
export { checkHost } from "./host.ts";
export type { HostCheckResult } from "./host.ts";
export { loadConfig } from "./load.ts";
export type { LoadConfigOptions, LoadedConfig } from "./load.ts";
export { parseConfig } from "./parse.ts";
export { redactConfig, REDACTED } from "./redact.ts";
export { DEFAULT_CONFIG_TOML, defaultConfigToml } from "./render.ts";
export { CGROUP_DRIVERS, LOG_LEVELS, RUNTIME_TYPES, SANDBOX_MODES } from "./schema.ts";
export type {
  CgroupDriver,
  CniConfig,
  Config,
  ConfigOs,
  ImageConfig,
  LinuxConfig,
  LogLevel,
  PathsConfig,
  RegistryConfig,
  RegistryHostConfig,
  RegistryMirrorConfig,
  RestrictOomScoreAdj,
  RuntimeConfig,
  RuntimeHandlerConfig,
  RuntimeType,
  SandboxMode,
  ServerConfig,
  StreamingConfig,
} from "./schema.ts";
export { formatDuration, formatFileMode, formatSize, parseDuration, parseFileMode, parseSize } from "./units.ts";
export { validateConfig } from "./validate.ts";
