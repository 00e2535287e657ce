import type { HostFacts } from "../runtime/host-facts.ts";
import type { LinuxDevice } from "./spec.ts";

/**
 * The host facts spec generation needs, resolved before it runs (DESIGN.md rule 1):
 * `HostFacts` plus skiff's own oom_score_adj and, for privileged containers, the host's
 * device nodes.
 */
export type SpecHostFacts = Pick<HostFacts, "cgroupDriver" | "canLowerOomScoreAdj"> & {
  /** skiff's own `/proc/self/oom_score_adj`: the floor when it cannot be lowered. */
  ownOomScoreAdj: number;
  /** Device nodes of the host, given to privileged containers. */
  devices?: LinuxDevice[];
};
