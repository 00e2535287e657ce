/**
 * The OCI process spec for an exec: the container's own process (capabilities, rlimits,
 * noNewPrivileges, apparmor/selinux labels, env, cwd, user) with the exec's args, and its
 * env/cwd/user/tty when the caller gives them. Reusing the container's settings keeps an
 * exec no more privileged than the container. Pure.
 */
export type ExecProcess = {
  args: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  tty?: boolean;
};

/** Builds the exec process from the container's `process` object (from config.json). */
export function execProcessSpec(containerProcess: Record<string, unknown> | undefined, p: ExecProcess): Record<string, unknown> {
  const base: Record<string, unknown> = structuredClone(containerProcess ?? {});
  delete base.consoleSize;
  base.args = [...p.args];
  base.terminal = p.tty ?? false;
  if (p.env) base.env = [...p.env];
  if (p.cwd) base.cwd = p.cwd;
  else if (typeof base.cwd !== "string" || !base.cwd) base.cwd = "/";
  if (p.user) {
    base.user = {
      uid: p.user.uid,
      gid: p.user.gid,
      ...(p.user.additionalGids?.length ? { additionalGids: [...p.user.additionalGids] } : {}),
    };
  } else if (typeof base.user !== "object" || base.user === null) {
    base.user = { uid: 0, gid: 0 };
  }
  return base;
}
