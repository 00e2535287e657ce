/**
 * The `io.kubernetes.cri.*` annotations skiff writes into OCI specs. The keys are the ones
 * containerd writes, so OCI runtimes and VM runtimes (Kata) that read them work unchanged.
 */
export const ANNOTATION = {
  containerType: "io.kubernetes.cri.container-type",
  containerName: "io.kubernetes.cri.container-name",
  imageName: "io.kubernetes.cri.image-name",
  sandboxId: "io.kubernetes.cri.sandbox-id",
  sandboxName: "io.kubernetes.cri.sandbox-name",
  sandboxNamespace: "io.kubernetes.cri.sandbox-namespace",
  sandboxUid: "io.kubernetes.cri.sandbox-uid",
  sandboxLogDirectory: "io.kubernetes.cri.sandbox-log-directory",
  sandboxCpuPeriod: "io.kubernetes.cri.sandbox-cpu-period",
  sandboxCpuQuota: "io.kubernetes.cri.sandbox-cpu-quota",
  sandboxCpuShares: "io.kubernetes.cri.sandbox-cpu-shares",
  sandboxMemory: "io.kubernetes.cri.sandbox-memory",
  sandboxImageName: "io.kubernetes.cri.podsandbox.image-name",
  /** hcsshim reads it to tell HostProcess (job object) containers from isolated ones. */
  windowsHostProcess: "microsoft.com/hostprocess-container",
} as const;

export const CONTAINER_TYPE_SANDBOX = "sandbox";
export const CONTAINER_TYPE_CONTAINER = "container";

/**
 * Whether `name` matches `pattern`, where `*` stands for any run of characters (dots and
 * slashes included) and everything else matches itself. A pattern without `*` is an exact
 * match. This is all `pod_annotations` / `container_annotations` need.
 */
export function globMatch(pattern: string, name: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === name;
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (name.length < first.length + last.length) return false;
  if (!name.startsWith(first) || !name.endsWith(last)) return false;
  let pos = first.length;
  const end = name.length - last.length;
  for (const mid of parts.slice(1, -1)) {
    if (mid === "") continue;
    const at = name.indexOf(mid, pos);
    if (at < 0 || at + mid.length > end) return false;
    pos = at + mid.length;
  }
  return true;
}

/** The entries of `annotations` whose keys match one of `patterns`, in key order. */
export function passthroughAnnotations(
  annotations: Readonly<Record<string, string>>,
  patterns: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (patterns.length === 0) return out;
  for (const key of Object.keys(annotations).sort()) {
    if (patterns.some((p) => globMatch(p, key))) out[key] = annotations[key] ?? "";
  }
  return out;
}
