/** Turning a base spec and a list of options into the spec of one container or sandbox. */
import type { CgroupDriver } from "../runtime/host-facts.ts";
import { baseFor } from "./base-spec.ts";
import type { Spec } from "./spec.ts";
import { applyWithExplain } from "./spec-opts.ts";
import type { Explanation, NamedOpt } from "./spec-opts.ts";

/** A copy of `base` with `opts` applied in order. `base` is left as it was. */
export function buildSpec(base: Spec, opts: readonly NamedOpt[]): Spec {
  const spec = baseFor(base);
  for (const [, opt] of opts) opt(spec);
  return spec;
}

/** `buildSpec`, plus which option changed which field (for `skiff spec --explain`). */
export function explainSpec(base: Spec, opts: readonly NamedOpt[]): { spec: Spec; explain: Explanation[] } {
  const spec = baseFor(base);
  const explain = applyWithExplain(spec, opts);
  return { spec, explain };
}

/** The cgroup parent used when the kubelet gives none. */
export const DEFAULT_CGROUP_PARENT = { systemd: "system.slice", cgroupfs: "/skiff" } as const;

/**
 * `linux.cgroupsPath` for `id` under `parent`, namespaced so skiff's cgroups never collide
 * with another runtime's:
 * - systemd: runc's `slice:prefix:name` form, `<parent slice>:skiff:<id>` (a path-like
 *   parent is reduced to its last element, the slice name);
 * - cgroupfs: `<parent>/<id>`, with `/skiff` as the parent when none is given.
 */
export function cgroupsPath(driver: CgroupDriver, parent: string, id: string): string {
  if (driver === "systemd") {
    const slice = parent.split("/").filter(Boolean).pop() ?? "";
    return `${slice || DEFAULT_CGROUP_PARENT.systemd}:skiff:${id}`;
  }
  const trimmed = parent.replace(/\/+$/, "");
  const base = trimmed === "" ? DEFAULT_CGROUP_PARENT.cgroupfs : trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
  return `${base}/${id}`;
}
