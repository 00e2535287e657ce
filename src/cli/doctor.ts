import { defineCommand } from "citty";
import { loadConfig } from "../config/index.ts";
import { passed } from "../doctor/check-result.ts";
import { formatDoctorJson, formatDoctorText } from "../doctor/format.ts";
import { runDoctor } from "../doctor/run-doctor.ts";
import { createPlatform } from "../platform/index.ts";
import { UsageError } from "./client-args.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  config: { type: "string" as const, alias: "c", description: "config file (default: the one `skiff serve` would load)" },
  json: { type: "boolean" as const, description: "print the results as JSON" },
};

/** Thrown after the report is printed, so the exit code says a required check failed. */
export class DoctorFailedError extends Error {}

/**
 * `skiff doctor [--config FILE] [--json]`: checks what skiff needs on this host for the
 * config `skiff serve` would use, one line per check. Exits 1 when a required check
 * failed; warnings do not change the exit code.
 */
export const doctorCommand = defineCommand({
  meta: { name: "doctor", description: "check this host for what skiff needs, and say how to fix what is missing" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const { config, source } = await loadConfig({ path: a.config, env: process.env });
    const platform = createPlatform();
    if (platform.os !== "linux") throw new UsageError("skiff doctor checks Linux hosts only");
    const results = await runDoctor(config, platform);
    if (a.json) process.stdout.write(formatDoctorJson(results));
    else process.stdout.write(`config: ${source}\n${formatDoctorText(results)}`);
    if (!passed(results)) throw new DoctorFailedError("a required check failed");
  },
});
