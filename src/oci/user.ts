/** The process user of a container, from the CRI security context and the image. */
import type { LinuxContainerSecurityContext } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { User } from "./spec.ts";
import { toSafeNumber } from "./opts/process.ts";

const ID = /^\d+$/;

function id(v: bigint, field: string): number {
  if (v < 0n || v > 0xffffffffn) throw new InvalidArgumentError(field, `${v} is not a valid id`);
  return toSafeNumber(v, field);
}

/**
 * uid/gid/groups for the container. Precedence: `resolved` (the caller's /etc/passwd
 * lookup of a named user), then `run_as_user`/`run_as_group`, then a numeric image `User`
 * (`uid` or `uid:gid`). A named user without `resolved` is refused: looking it up is I/O,
 * which does not belong here.
 */
export function containerUser(
  sc: LinuxContainerSecurityContext | undefined,
  imageUser: string | undefined,
  resolved: User | undefined,
): User {
  const field = "config.linux.security_context";
  const groups = (sc?.supplementalGroups ?? []).map((g, i) => id(g, `${field}.supplemental_groups[${i}]`));
  const withGroups = (u: User): User => {
    const all = [...(u.additionalGids ?? []), ...groups];
    return all.length > 0 ? { ...u, additionalGids: [...new Set(all)] } : u;
  };
  if (resolved) return withGroups(resolved);
  let uid: number | undefined;
  let gid: number | undefined;
  if (sc?.runAsUser) uid = id(sc.runAsUser.value, `${field}.run_as_user`);
  if (sc?.runAsGroup) gid = id(sc.runAsGroup.value, `${field}.run_as_group`);
  if (uid === undefined && sc?.runAsUsername) {
    throw new InvalidArgumentError(`${field}.run_as_username`, `user "${sc.runAsUsername}" must be resolved first`);
  }
  if (uid === undefined && imageUser) {
    const [u = "", g] = imageUser.split(":", 2);
    if (!ID.test(u) || (g !== undefined && !ID.test(g))) {
      throw new InvalidArgumentError("image.config.user", `user "${imageUser}" must be resolved first`);
    }
    uid = Number(u);
    if (gid === undefined && g !== undefined) gid = Number(g);
  }
  return withGroups({ uid: uid ?? 0, gid: gid ?? 0 });
}
