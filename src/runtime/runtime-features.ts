/**
 * What an OCI runtime binary says it supports (`<runtime> features`, the OCI runtime
 * features document: https://github.com/opencontainers/runtime-spec/blob/main/features.md),
 * and which optional CRI features follow from it on this host. Read once per handler at
 * start.
 */
export type HandlerFeatures = {
  /** CRI `recursive_read_only` mounts: the runtime knows `rro` and the kernel has mount_setattr (Linux >= 5.12). */
  recursiveReadOnlyMounts: boolean;
};

/** The `mountOptions` of a features document; undefined when the text is not one. */
export function parseMountOptions(text: string): string[] | undefined {
  try {
    const doc = JSON.parse(text) as { mountOptions?: unknown };
    return Array.isArray(doc.mountOptions) ? doc.mountOptions.filter((o): o is string => typeof o === "string") : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a kernel release string (`uname -r`) is at least `major.minor`. */
export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > major || (maj === major && min >= minor);
}

/** The CRI features a handler's runtime offers, from its features document (if it has one) and the kernel. */
export function handlerFeatures(mountOptions: readonly string[] | undefined, kernelRelease: string): HandlerFeatures {
  return { recursiveReadOnlyMounts: (mountOptions?.includes("rro") ?? false) && kernelAtLeast(kernelRelease, 5, 12) };
}

/** Runs `<runtimePath> features`; undefined when the runtime has no such command (crun 1.8) or is missing. */
export function readMountOptions(runtimePath: string): string[] | undefined {
  try {
    const p = Bun.spawnSync([runtimePath, "features"], { stdout: "pipe", stderr: "ignore", timeout: 5000 });
    return p.exitCode === 0 ? parseMountOptions(p.stdout.toString()) : undefined;
  } catch {
    return undefined;
  }
}
