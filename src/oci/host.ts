import type { HostFacts } from "../runtime/host-facts.ts";
import type { LinuxDevice } from "./spec.ts";

/**
 * The host facts spec generation needs, resolved before it runs (DESIGN.md rule 1):
 * `HostFacts` plus skiff's own oom_score_adj and, for privileged containers, the host's
 * device nodes. The optional facts default to "absent", so a caller that does not know
 * them yet gets the conservative spec (no AppArmor profile, no SELinux label, seccomp
 * profiles that list every architecture skiff ships for).
 */
export type SpecHostFacts = Pick<HostFacts, "cgroupDriver" | "canLowerOomScoreAdj"> & {
  /** skiff's own `/proc/self/oom_score_adj`: the floor when it cannot be lowered. */
  ownOomScoreAdj: number;
  /** Device nodes of the host, given to privileged containers. */
  devices?: LinuxDevice[];
  /** skiff's capability bounding set (names): all a privileged container can get. */
  capabilities?: readonly string[];
  /** The host kernel has AppArmor enabled (/sys/module/apparmor/parameters/enabled is "Y"). */
  apparmor?: boolean;
  /** A profile loaded on the host to use for AppArmor `RuntimeDefault`; none when unset. */
  apparmorDefaultProfile?: string;
  /** The host has SELinux enabled (selinuxfs mounted). */
  selinux?: boolean;
  /** The host architecture as OCI names it (`amd64`, `arm64`), for seccomp profiles. */
  arch?: string;
};
