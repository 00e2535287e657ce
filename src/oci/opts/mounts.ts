/** Mount options: CRI mounts as OCI bind mounts, and the pod's shared files. */
import type { Mount as CriMount } from "../../gen/runtime/v1/api_pb.ts";
import { MountPropagation } from "../../wire/gen/runtime-v1.ts";
import { InvalidArgumentError } from "../../errors.ts";
import type { Mount } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";

const PROPAGATION: Record<MountPropagation, string> = {
  [MountPropagation.PROPAGATION_PRIVATE]: "rprivate",
  [MountPropagation.PROPAGATION_HOST_TO_CONTAINER]: "rslave",
  [MountPropagation.PROPAGATION_BIDIRECTIONAL]: "rshared",
};

/** A bind mount as skiff writes it: recursive, with propagation and ro/rw spelled out. */
export function bindMount(source: string, destination: string, readonly: boolean, propagation = "rprivate"): Mount {
  return { destination, type: "bind", source, options: ["rbind", propagation, readonly ? "ro" : "rw"] };
}

/**
 * One CRI mount as an OCI mount. `field` (e.g. `config.mounts[2]`) names it in errors.
 * Paths must be absolute; what they point at is the runtime's business (runc resolves the
 * destination inside the rootfs), so nothing here can reach outside the container.
 */
export function criMountToOci(m: CriMount, field: string): Mount {
  if (!m.containerPath.startsWith("/")) {
    throw new InvalidArgumentError(`${field}.container_path`, `"${m.containerPath}" is not an absolute path`);
  }
  if (!m.hostPath.startsWith("/")) {
    throw new InvalidArgumentError(`${field}.host_path`, `"${m.hostPath}" is not an absolute path`);
  }
  const propagation = PROPAGATION[m.propagation];
  if (propagation === undefined) {
    throw new InvalidArgumentError(`${field}.propagation`, `unknown value ${m.propagation}`);
  }
  const mount = bindMount(m.hostPath, m.containerPath, m.readonly, propagation);
  if (m.recursiveReadOnly) {
    // api.proto: recursive_read_only needs readonly and private propagation.
    if (!m.readonly) throw new InvalidArgumentError(`${field}.recursive_read_only`, "needs readonly");
    if (m.propagation !== MountPropagation.PROPAGATION_PRIVATE) {
      throw new InvalidArgumentError(`${field}.recursive_read_only`, "needs private propagation");
    }
    // "rro" is runc's (>= 1.1) and crun's option for mount_setattr(MOUNT_ATTR_RDONLY,
    // AT_RECURSIVE), which needs Linux >= 5.12. Whether the handler can is a host fact,
    // checked before spec generation (runtime-features.ts) and reported in Status.
    mount.options = [...(mount.options ?? []), "rro"];
  }
  return mount;
}

function depth(p: string): number {
  return p.split("/").filter(Boolean).length;
}

/**
 * Adds `mounts`, replacing any mount the spec already has at the same destination (a base
 * /dev/shm tmpfs gives way to the pod's). Mounts are added parents first, so `/a` is
 * mounted before `/a/b` whatever order they came in.
 */
export const withMounts =
  (mounts: readonly Mount[]): SpecOpt =>
  (s) => {
    const dests = new Set(mounts.map((m) => m.destination));
    const kept = (s.mounts ?? []).filter((m) => !dests.has(m.destination));
    const added = mounts
      .map((m, i) => ({ m, i }))
      .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
      .map(({ m }) => structuredClone(m));
    s.mounts = [...kept, ...added];
  };

/**
 * The rootfs propagation that `mounts` need: a bind mount can only be `rshared` or
 * `rslave` when the mount it sits on (the rootfs) is at least that, so the strongest
 * one asked for wins. Undefined when all are private. (The host side, that the source
 * itself is a shared or slave mount, is the caller's to check.)
 */
export function rootfsPropagationFor(mounts: readonly Mount[]): string | undefined {
  const opts = mounts.flatMap((m) => m.options ?? []);
  if (opts.includes("rshared")) return "rshared";
  if (opts.includes("rslave")) return "rslave";
  return undefined;
}

export const withRootfsPropagation =
  (propagation: string): SpecOpt =>
  (s) => {
    s.linux ??= {};
    s.linux.rootfsPropagation = propagation;
  };

/** Removes the mount at `destination`, if any. */
export const withoutMount =
  (destination: string): SpecOpt =>
  (s) => {
    if (s.mounts) s.mounts = s.mounts.filter((m) => m.destination !== destination);
  };
