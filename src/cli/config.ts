import { defineCommand } from "citty";
import { checkHost, defaultConfigToml, loadConfig } from "../config/index.ts";

const defaultSub = defineCommand({
  meta: { name: "default", description: "print the default config, with a comment on every key" },
  run() {
    process.stdout.write(defaultConfigToml());
  },
});

const checkSub = defineCommand({
  meta: { name: "check", description: "validate a config file (and the host paths it names)" },
  args: {
    file: { type: "positional", required: false, description: "config file (default: the one `skiff serve` would load)" },
    "no-host": { type: "boolean", description: "only check the file itself, not paths on this host" },
  },
  async run({ args }) {
    const { config, source } = await loadConfig({ path: args.file, env: process.env });
    if (!args["no-host"]) {
      const { errors, warnings } = await checkHost(config);
      for (const w of warnings) console.error(`warning: ${w}`);
      if (errors.length > 0) throw new Error(`${source}: host checks failed:\n  ${errors.join("\n  ")}`);
    }
    console.log(`${source}: ok`);
  },
});

/** `skiff config default|check`. */
export const configCommand = defineCommand({
  meta: { name: "config", description: "print or validate skiff's config" },
  subCommands: { default: defaultSub, check: checkSub },
});
