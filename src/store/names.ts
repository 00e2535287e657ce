/**
 * The name keys that the store's UNIQUE columns reserve. They are containerd's
 * (internal/cri/util makeSandboxName / makeContainerName), so a kubelet sees the same
 * "name is reserved" behaviour from skiff as from containerd. Kubernetes names and
 * namespaces cannot contain "_", so the key is unambiguous.
 */

/** What CRI's PodSandboxMetadata carries. */
export type SandboxMetadata = {
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
  readonly attempt: number;
};

/** What CRI's ContainerMetadata carries. */
export type ContainerMetadata = {
  readonly name: string;
  readonly attempt: number;
};

/** `<name>_<namespace>_<uid>_<attempt>` */
export function sandboxNameKey(m: SandboxMetadata): string {
  return [m.name, m.namespace, m.uid, String(m.attempt)].join("_");
}

/** `<name>_<sandbox name>_<sandbox namespace>_<sandbox uid>_<attempt>` */
export function containerNameKey(c: ContainerMetadata, sandbox: SandboxMetadata): string {
  return [c.name, sandbox.name, sandbox.namespace, sandbox.uid, String(c.attempt)].join("_");
}
