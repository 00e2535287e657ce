/**
 * Reads the conf dir: every `.conf`/`.conflist`/`.json` in file-name order, bad files
 * skipped with a reason, the first `maxConfNum` networks kept (0 keeps all), as the
 * kubelet's and containerd's loaders do.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { isNetworkConfigFile, type NetworkConfigList, parseNetworkConfig } from "./network-config.ts";

export type LoadedConfigs = {
  networks: NetworkConfigList[];
  /** One line per skipped file, for the log and for status(). */
  skipped: string[];
};

/** Config file names of `confDir` in load order; [] when the dir does not exist. */
export async function listConfigFiles(confDir: string): Promise<string[]> {
  try {
    return (await readdir(confDir)).filter(isNetworkConfigFile).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/**
 * A cheap fingerprint of the conf dir (names, sizes, mtimes): reload re-parses only when
 * it changes.
 */
export async function confDirSignature(confDir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of await listConfigFiles(confDir)) {
    try {
      const s = await stat(join(confDir, name));
      parts.push(`${name}:${s.size}:${s.mtimeMs}`);
    } catch {
      parts.push(`${name}:gone`);
    }
  }
  return parts.join("|");
}

/** Loads and validates the networks of `confDir`. Never throws for a bad file. */
export async function loadNetworkConfigs(confDir: string, maxConfNum: number): Promise<LoadedConfigs> {
  const networks: NetworkConfigList[] = [];
  const skipped: string[] = [];
  for (const name of await listConfigFiles(confDir)) {
    if (maxConfNum > 0 && networks.length >= maxConfNum) break;
    let text: string;
    try {
      text = await readFile(join(confDir, name), "utf8");
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    try {
      const net = parseNetworkConfig(text, name);
      const dup = networks.find((n) => n.name === net.name);
      if (dup) {
        skipped.push(`${name}: network "${net.name}" is already defined in ${dup.source}`);
        continue;
      }
      networks.push(net);
    } catch (err) {
      skipped.push((err as Error).message);
    }
  }
  return { networks, skipped };
}
