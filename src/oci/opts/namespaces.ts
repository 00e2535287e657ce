/** Namespace options: join one by path, ask for a new one, or share the host's. */
import { linuxOf } from "../spec.ts";
import type { NamespaceType } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";

/** Sets the namespace of `type`: joined at `path`, or new when `path` is undefined. */
export const withNamespace =
  (type: NamespaceType, path?: string): SpecOpt =>
  (s) => {
    const linux = linuxOf(s);
    const ns = path === undefined ? { type } : { type, path };
    const cur = linux.namespaces ?? [];
    // Replace in place, so the order of the base's list is kept.
    linux.namespaces = cur.some((n) => n.type === type)
      ? cur.map((n) => (n.type === type ? ns : n))
      : [...cur, ns];
  };

/** Removes the namespace of `type`: the process stays in skiff's (the host's). */
export const withoutNamespace =
  (type: NamespaceType): SpecOpt =>
  (s) => {
    const linux = linuxOf(s);
    if (linux.namespaces) linux.namespaces = linux.namespaces.filter((n) => n.type !== type);
  };
