import * as path from "node:path";

export type ContainerPaths = {
  /** Persistent per-container dir: the writable layer and image volumes. */
  dir: string;
  upper: string;
  work: string;
  volumes: string;
  emptyLower: string;
  /** Volatile dir: the OCI bundle (config.json, the rootfs mount point, conmon's files). */
  bundle: string;
  rootfs: string;
};

/**
 * The paths of container `id`; every one derives from the id so cleanup needs nothing else.
 * Below the two joined bases, plain concatenation: listings compute these for every
 * container, and ids are a safe alphabet (checked when made).
 */
export function containerPaths(dirs: { root: string; state: string }, id: string): ContainerPaths {
  const dir = path.join(dirs.root, "containers", id);
  const bundle = path.join(dirs.state, "containers", id);
  return {
    dir,
    upper: `${dir}/upper`,
    work: `${dir}/work`,
    volumes: `${dir}/volumes`,
    emptyLower: `${dir}/empty`,
    bundle,
    rootfs: `${bundle}/rootfs`,
  };
}

/**
 * The host path of a container's log: `log_directory` of the pod joined with the
 * container's relative `log_path`. Both are checked so the result stays inside the
 * pod's log dir (DESIGN.md rule 5). "" when the pod has no log dir or the container no log path.
 */
export function containerLogPath(logDirectory: string, logPath: string): string {
  if (logDirectory === "" || logPath === "") return "";
  return path.join(logDirectory, logPath);
}
