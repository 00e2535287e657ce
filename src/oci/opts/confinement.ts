/** Confinement options: seccomp, AppArmor and SELinux labels. */
import type { SeccompPlan } from "../seccomp-profile.ts";
import type { SelinuxLabels } from "../selinux-label.ts";
import { linuxOf, processOf } from "../spec.ts";
import type { SpecOpt } from "../spec-opts.ts";

/**
 * Applies a seccomp plan. A profile is built from the spec's bounding capabilities as they
 * are when this option runs, so it must come after the capability options: a container
 * given CAP_SYS_ADMIN gets the mount family, one without does not.
 */
export const withSeccomp =
  (plan: SeccompPlan): SpecOpt =>
  (s) => {
    if (plan.kind === "keep") return;
    if (plan.kind === "none") {
      if (s.linux) delete s.linux.seccomp;
      return;
    }
    linuxOf(s).seccomp = plan.build(s.process?.capabilities?.bounding ?? []);
  };

/** Sets `process.apparmorProfile`, or removes one a base spec had when `name` is undefined. */
export const withApparmorProfile =
  (name: string | undefined): SpecOpt =>
  (s) => {
    const p = processOf(s);
    if (name === undefined) delete p.apparmorProfile;
    else p.apparmorProfile = name;
  };

export const withSelinuxLabels =
  (labels: SelinuxLabels): SpecOpt =>
  (s) => {
    processOf(s).selinuxLabel = labels.process;
    linuxOf(s).mountLabel = labels.mount;
  };
