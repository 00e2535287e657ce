/**
 * Resolving a container's user from the image's /etc/passwd and /etc/group, as the
 * kubelet expects: a user name (from the image's `User` or `run_as_username`) becomes its
 * uid and primary gid; a uid without a group takes the passwd entry's gid; the groups
 * that list the user are added (Kubernetes' "Merge" supplemental groups policy).
 * Pure: the caller reads the files (see rootfs-file.ts).
 */
import type { LinuxContainerSecurityContext } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { User } from "../oci/spec.ts";

export type PasswdEntry = { name: string; uid: number; gid: number };
export type GroupEntry = { name: string; gid: number; members: string[] };

const NUM = /^\d+$/;

/** Parses /etc/passwd text; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 4 || line.startsWith("#") || !NUM.test(f[2]!) || !NUM.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) });
  }
  return out;
}

/** Parses /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 3 || line.startsWith("#") || !NUM.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? "").split(",").filter(Boolean) });
  }
  return out;
}

export type UserFiles = { passwd: PasswdEntry[]; group: GroupEntry[] };

/**
 * The user of a container. `undefined` means nothing needs resolving (no name anywhere
 * and no passwd entry to consult), and the caller may fall back to plain ids.
 */
export function resolveUser(sc: LinuxContainerSecurityContext | undefined, imageUser: string | undefined, files: UserFiles): User | undefined {
  const field = "config.linux.security_context";
  let who: string | undefined;
  let groupPart: string | undefined;
  let whoField = "image.config.user";
  if (sc?.runAsUser) {
    who = sc.runAsUser.value.toString(10);
    whoField = `${field}.run_as_user`;
  } else if (sc?.runAsUsername) {
    who = sc.runAsUsername;
    whoField = `${field}.run_as_username`;
  } else if (imageUser) {
    [who, groupPart] = imageUser.split(":", 2) as [string, string | undefined];
  }
  if (who === undefined || who === "") who = "0";
  const entry = NUM.test(who) ? files.passwd.find((e) => e.uid === Number(who)) : files.passwd.find((e) => e.name === who);
  if (!NUM.test(who) && !entry) throw new InvalidArgumentError(whoField, `user "${who}" is not in the image's /etc/passwd`);
  const uid = entry?.uid ?? Number(who);
  let gid: number;
  if (sc?.runAsGroup) gid = Number(sc.runAsGroup.value);
  else if (groupPart !== undefined && groupPart !== "") {
    if (NUM.test(groupPart)) gid = Number(groupPart);
    else {
      const g = files.group.find((e) => e.name === groupPart);
      if (!g) throw new InvalidArgumentError("image.config.user", `group "${groupPart}" is not in the image's /etc/group`);
      gid = g.gid;
    }
  } else gid = entry?.gid ?? 0;
  const extra = entry ? files.group.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid) : [];
  if (uid > 0xffffffff || gid > 0xffffffff) throw new InvalidArgumentError(whoField, "id out of range");
  return extra.length > 0 ? { uid, gid, additionalGids: [...new Set(extra)] } : { uid, gid };
}
