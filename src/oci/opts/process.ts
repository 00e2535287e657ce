/** Options for `process`: args, env, cwd, terminal, user; and the root/hostname basics. */
import { InvalidArgumentError } from "../../errors.ts";
import { DEFAULT_PATH_ENV } from "../base-spec.ts";
import { processOf } from "../spec.ts";
import type { User } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";

/**
 * The process args the kubelet means, from the CRI command/args and the image's
 * Entrypoint/Cmd (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#notes):
 * a command replaces the entrypoint and drops the image Cmd; args alone replace the Cmd.
 */
export function resolveArgs(
  command: readonly string[],
  args: readonly string[],
  entrypoint: readonly string[] = [],
  cmd: readonly string[] = [],
): string[] {
  let out: string[];
  if (command.length > 0) out = [...command, ...args];
  else if (args.length > 0) out = [...entrypoint, ...args];
  else out = [...entrypoint, ...cmd];
  if (out.length === 0) {
    throw new InvalidArgumentError("config.command", "no command given and the image has no Entrypoint or Cmd");
  }
  return out;
}

function envKey(entry: string): string {
  const eq = entry.indexOf("=");
  return eq < 0 ? entry : entry.slice(0, eq);
}

/**
 * Merges `KEY=value` lists: a later list's value for a key replaces an earlier one, but
 * the key keeps the position where it first appeared.
 */
export function mergeEnv(...lists: ReadonlyArray<readonly string[]>): string[] {
  const byKey = new Map<string, string>();
  for (const list of lists) for (const e of list) byKey.set(envKey(e), e);
  return [...byKey.values()];
}

export const withArgs =
  (args: readonly string[]): SpecOpt =>
  (s) => {
    processOf(s).args = [...args];
  };

/** Merges `env` over the spec's current env (the base's PATH, typically). */
export const withEnv =
  (env: readonly string[]): SpecOpt =>
  (s) => {
    const p = processOf(s);
    p.env = mergeEnv(p.env ?? [], env);
  };

/**
 * Adds the default PATH when the env has none: the image may not set one, and a base
 * spec need not either, but a process without PATH cannot find `sh`.
 */
export const withDefaultPathEnv: SpecOpt = (s) => {
  const p = processOf(s);
  const env = p.env ?? [];
  if (!env.some((e) => e.startsWith("PATH="))) p.env = [DEFAULT_PATH_ENV, ...env];
};

export const withCwd =
  (cwd: string): SpecOpt =>
  (s) => {
    processOf(s).cwd = cwd;
  };

export const withTerminal =
  (terminal: boolean): SpecOpt =>
  (s) => {
    processOf(s).terminal = terminal;
  };

export const withUser =
  (user: User): SpecOpt =>
  (s) => {
    const p = processOf(s);
    p.user = { ...p.user, ...user, additionalGids: user.additionalGids ? [...user.additionalGids] : p.user.additionalGids };
  };

export const withHostname =
  (hostname: string): SpecOpt =>
  (s) => {
    s.hostname = hostname;
  };

export const withoutHostname: SpecOpt = (s) => {
  delete s.hostname;
};

export const withRootReadonly =
  (readonly: boolean): SpecOpt =>
  (s) => {
    s.root = { path: s.root?.path ?? "rootfs", readonly };
  };

/**
 * Converts a CRI int64 to a JSON-safe number, refusing values JSON readers would round.
 * `field` is the CRI field name used in the error.
 */
export function toSafeNumber(v: bigint, field: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(field, `${v} is out of range`);
  return n;
}
