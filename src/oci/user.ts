/** The process user of a container, from the CRI security context and the image. */
import type { LinuxContainerSecurityContext } from "../gen/runtime/v1/api_pb.ts";
import { SupplementalGroupsPolicy } from "../wire/gen/runtime-v1.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { User } from "./spec.ts";
import { toSafeNumber } from "./opts/process.ts";

const ID = /^\d+$/;

function id(v: bigint, field: string): number {
  if (v < 0n || v > 0xffffffffn) throw new InvalidArgumentError(field, `${v} is not a valid id`);
  return toSafeNumber(v, field);
}

/**
 * uid/gid/groups for the container. Precedence: `resolved` (the caller's /etc/passwd and
 * /etc/group lookup of `run_as_username` or a named image user), then
 * `run_as_user`/`run_as_group`, then a numeric image `User` (`uid` or `uid:gid`). A named
 * user without `resolved` is refused: looking it up is I/O, which does not belong here.
 *
 * `run_as_group` applies over any of them. `supplemental_groups` are added to the groups
 * `resolved` carries from the image's /etc/group (policy Merge, the default); with policy
 * Strict the image's groups are dropped and only the requested ones are used.
 *
 * `additionalGids` always holds the primary gid too, as containerd's spec does: the
 * process then has it among its supplementary groups (`id -G`), and ContainerStatus,
 * which reports this list, describes the process as the kernel sees it. Sorted, as the
 * kernel keeps a process's groups.
 */
export function containerUser(
  sc: LinuxContainerSecurityContext | undefined,
  imageUser: string | undefined,
  resolved: User | undefined,
): User {
  const field = "config.linux.security_context";
  if (sc?.runAsUser && sc.runAsUsername) {
    throw new InvalidArgumentError(`${field}.run_as_username`, "is set together with run_as_user");
  }
  if (sc?.runAsGroup && !sc.runAsUser && !sc.runAsUsername) {
    throw new InvalidArgumentError(`${field}.run_as_group`, "is set without run_as_user or run_as_username");
  }
  const strict = sc?.supplementalGroupsPolicy === SupplementalGroupsPolicy.Strict;
  const groups = (sc?.supplementalGroups ?? []).map((g, i) => id(g, `${field}.supplemental_groups[${i}]`));
  const gidOverride = sc?.runAsGroup ? id(sc.runAsGroup.value, `${field}.run_as_group`) : undefined;
  const finish = (u: User): User => {
    const base = gidOverride === undefined ? u : { ...u, gid: gidOverride };
    const all = new Set([base.gid, ...(strict ? [] : (base.additionalGids ?? [])), ...groups]);
    return { ...base, additionalGids: [...all].sort((a, b) => a - b) };
  };
  if (resolved) return finish(resolved);
  if (sc?.runAsUser) return finish({ uid: id(sc.runAsUser.value, `${field}.run_as_user`), gid: 0 });
  if (sc?.runAsUsername) {
    throw new InvalidArgumentError(`${field}.run_as_username`, `user "${sc.runAsUsername}" must be resolved first`);
  }
  if (imageUser) {
    const [u = "", g] = imageUser.split(":", 2);
    if (!ID.test(u) || (g !== undefined && !ID.test(g))) {
      throw new InvalidArgumentError("image.config.user", `user "${imageUser}" must be resolved first`);
    }
    return finish({ uid: Number(u), gid: g === undefined ? 0 : Number(g) });
  }
  return finish({ uid: 0, gid: 0 });
}
