/**
 * `skiff doctor`'s work: read the host's facts for a config, then judge them. The checks
 * come in the order an operator fixes things: what pods run on, the kernel, the network,
 * then the node around skiff.
 */
import type { Config } from "../config/index.ts";
import type { Platform } from "../platform/index.ts";
import type { CheckResult } from "./check-result.ts";
import type { DoctorFacts } from "./doctor-facts.ts";
import { kernelChecks } from "./kernel-checks.ts";
import { networkChecks } from "./network-checks.ts";
import { nodeChecks } from "./node-checks.ts";
import { type ReadFactsOptions, readDoctorFacts } from "./read-facts.ts";
import { runtimeChecks } from "./runtime-checks.ts";

/** Every check, judged from facts already read. Pure. */
export function evaluateDoctor(facts: DoctorFacts): CheckResult[] {
  return [...runtimeChecks(facts), ...kernelChecks(facts), ...networkChecks(facts), ...nodeChecks(facts)];
}

/** Reads this host's facts for `config` and judges them. */
export async function runDoctor(config: Config, platform: Platform, opts: ReadFactsOptions = {}): Promise<CheckResult[]> {
  return evaluateDoctor(await readDoctorFacts(config, platform, opts));
}
