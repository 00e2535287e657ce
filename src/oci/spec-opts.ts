/**
 * Spec options: small synchronous functions that each change one aspect of a spec.
 * A spec is the base spec (deep-copied) with a list of options applied in order, as
 * containerd's `oci.SpecOpts` do. Options are pure: everything they need (paths, host
 * facts) is captured when they are made, never looked up while they run.
 */
import type { Spec } from "./spec.ts";

export type SpecOpt = (s: Spec) => void;

/** An option with a name, so `skiff spec --explain` can say which option set a field. */
export type NamedOpt = readonly [name: string, opt: SpecOpt];

/** One option that runs all of `opts`, in order. */
export const compose =
  (...opts: SpecOpt[]): SpecOpt =>
  (s) => {
    for (const o of opts) o(s);
  };

/** What one named option changed: the JSON paths that differ before and after it ran. */
export type Explanation = { opt: string; changed: string[] };

/**
 * Applies `opts` to `spec` in place and returns, per option, the paths it changed
 * (added, removed or modified). Arrays are compared as whole values, so a changed mount
 * list shows as `mounts`, not as every index that moved. Options that changed nothing
 * are listed with an empty `changed`, which is itself useful to an operator.
 */
export function applyWithExplain(spec: Spec, opts: readonly NamedOpt[]): Explanation[] {
  const out: Explanation[] = [];
  let before: unknown = structuredClone(spec);
  for (const [name, opt] of opts) {
    opt(spec);
    const after: unknown = structuredClone(spec);
    const changed: string[] = [];
    diffPaths(before, after, "", changed);
    out.push({ opt: name, changed });
    before = after;
  }
  return out;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `a.b` for identifier keys, `a["io.kubernetes.cri.x"]` for the rest. */
export function joinPath(base: string, key: string): string {
  if (IDENT.test(key)) return base === "" ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function diffPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (a[k] === undefined && b[k] === undefined) continue;
      diffPaths(a[k], b[k], joinPath(path, k), out);
    }
    return;
  }
  if (!Bun.deepEquals(a, b)) out.push(path === "" ? "$" : path);
}
