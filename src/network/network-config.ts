/**
 * CNI network configuration lists, parsed and validated without I/O.
 *
 * A `.conflist` holds `{cniVersion, name, plugins: [...]}`; a `.conf`/`.json` holds one
 * plugin's config with `name`/`cniVersion` at the top, which we turn into a list of one,
 * as the spec's "network configuration" section allows.
 * See https://github.com/containernetworking/cni/blob/main/SPEC.md#section-1-network-configuration-format
 */

/** One plugin entry of a list: `type` names the binary; everything else is passed through. */
export type PluginConfig = { type: string; capabilities?: Record<string, boolean>; [key: string]: unknown };

/** A validated network configuration list. */
export type NetworkConfigList = {
  cniVersion: string;
  name: string;
  /** `disableCheck: true` in the list: CHECK is skipped for this network. */
  disableCheck: boolean;
  plugins: PluginConfig[];
  /** The file it came from (empty for a network skiff built in memory). */
  source: string;
};

/**
 * Versions whose result format we understand. 0.3.x/0.4.0 results differ from 1.x only in
 * the per-IP `version` field; 1.1.0 keeps the 1.0.0 result and ADD/DEL/CHECK as they were.
 */
export const SUPPORTED_CNI_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

/** The spec's rule for network names; they also become file names in the result cache. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Thrown for a config file that cannot be used; the loader turns it into a warning. */
export class NetworkConfigError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function validatePlugin(p: unknown, where: string): PluginConfig {
  if (!isObject(p)) throw new NetworkConfigError(`${where}: plugin is not an object`);
  const type = p.type;
  if (typeof type !== "string" || type === "") throw new NetworkConfigError(`${where}: plugin has no "type"`);
  // Plugins are looked up by name in the bin dirs only; a path here could run anything.
  if (type.includes("/") || type.includes("\\") || type === "." || type === "..") {
    throw new NetworkConfigError(`${where}: plugin type "${type}" must be a plain name`);
  }
  if (p.capabilities !== undefined && !isObject(p.capabilities)) {
    throw new NetworkConfigError(`${where}: "capabilities" of plugin "${type}" is not an object`);
  }
  return p as PluginConfig;
}

/**
 * Parses the text of a `.conflist`, `.conf` or `.json` file into a validated list.
 * @param fileName decides the shape: names ending in `.conflist` must hold `plugins`.
 * @throws NetworkConfigError naming the file and the problem
 */
export function parseNetworkConfig(text: string, fileName: string): NetworkConfigList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NetworkConfigError(`${fileName}: invalid json: ${(err as Error).message}`);
  }
  if (!isObject(raw)) throw new NetworkConfigError(`${fileName}: not a json object`);
  const { name, cniVersion } = raw;
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new NetworkConfigError(`${fileName}: network name ${JSON.stringify(name)} is missing or invalid`);
  }
  if (typeof cniVersion !== "string" || !(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new NetworkConfigError(
      `${fileName}: cniVersion ${JSON.stringify(cniVersion)} of network "${name}" is not one of ${SUPPORTED_CNI_VERSIONS.join(", ")}`,
    );
  }
  let plugins: PluginConfig[];
  if (fileName.endsWith(".conflist")) {
    if (!Array.isArray(raw.plugins) || raw.plugins.length === 0) {
      throw new NetworkConfigError(`${fileName}: network "${name}" has no plugins`);
    }
    plugins = raw.plugins.map((p, i) => validatePlugin(p, `${fileName}: plugins[${i}]`));
  } else {
    // A single-plugin config: the whole object minus the list-level keys is the plugin.
    const { name: _n, cniVersion: _v, ...plugin } = raw;
    plugins = [validatePlugin(plugin, fileName)];
  }
  return { cniVersion, name, disableCheck: raw.disableCheck === true, plugins, source: fileName };
}

/** Whether a file name is a CNI config by extension (`.conf`, `.conflist`, `.json`). */
export const isNetworkConfigFile = (fileName: string): boolean =>
  !fileName.startsWith(".") && /\.(conf|conflist|json)$/.test(fileName);
