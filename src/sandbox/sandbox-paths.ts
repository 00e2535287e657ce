/**
 * Where a sandbox's things live on the host. Every path derives from the sandbox id and
 * the configured dirs, so cleanup after a crash needs nothing but the id.
 */
import * as path from "node:path";
import type { NamespaceKind } from "../platform/types.ts";

export type SandboxPaths = {
  /** Persistent per-pod dir: hostname, hosts, resolv.conf. */
  dir: string;
  hostname: string;
  hosts: string;
  resolvConf: string;
  /** Volatile per-pod dir: the shm mount and the infra bundle. */
  stateDir: string;
  shm: string;
  /** The infra process's OCI bundle (config.json, rootfs/). */
  bundle: string;
  rootfs: string;
  /** Where conmon writes the infra process's output (it prints nothing worth keeping). */
  infraLog: string;
  /** The pin file of each namespace kind. */
  pin: (kind: NamespaceKind) => string;
};

/** The paths of sandbox `id` under the root (persistent) and state (volatile) dirs. */
export function sandboxPaths(dirs: { root: string; state: string }, id: string): SandboxPaths {
  const dir = path.join(dirs.root, "sandboxes", id);
  const stateDir = path.join(dirs.state, "sandboxes", id);
  const bundle = path.join(stateDir, "infra");
  return {
    dir,
    hostname: path.join(dir, "hostname"),
    hosts: path.join(dir, "hosts"),
    resolvConf: path.join(dir, "resolv.conf"),
    stateDir,
    shm: path.join(stateDir, "shm"),
    bundle,
    rootfs: path.join(bundle, "rootfs"),
    infraLog: path.join(bundle, "infra.log"),
    pin: (kind) => path.join(dirs.state, "ns", kind, id),
  };
}
