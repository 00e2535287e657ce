import * as path from "node:path";
import type { Config } from "../config/index.ts";
import { type CniNetwork, type CniNetworkOptions, createCniNetwork } from "./cni-network.ts";

/**
 * The CNI network of a config's `[cni]` table, its results cached under the root dir.
 * `writeDefault: false` overrides the config (Windows: the default conflist is a Linux bridge).
 */
export function cniNetworkOf(config: Config, more: Pick<CniNetworkOptions, "log" | "observe"> & { writeDefault?: false }): CniNetwork {
  return createCniNetwork({
    confDir: config.cni.confDir,
    binDirs: config.cni.binDirs,
    maxConfNum: config.cni.maxConfNum,
    cacheDir: path.join(config.paths.root, "cni", "results"),
    defaultSubnet: config.cni.defaultSubnet,
    writeDefault: more.writeDefault ?? config.cni.writeDefault,
    log: more.log,
    observe: more.observe,
  });
}
