import type { SpecOpt } from "../spec-opts.ts";

/** Sets the given annotations, over any the base or an earlier option set. */
export const withAnnotations =
  (annotations: Readonly<Record<string, string>>): SpecOpt =>
  (s) => {
    s.annotations = { ...s.annotations, ...annotations };
  };
