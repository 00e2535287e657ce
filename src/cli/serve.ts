import { defineCommand } from "citty";
import { createConsola } from "consola";
import * as path from "node:path";
import { loadConfig } from "../config/index.ts";
import { createFakeWindowsPlatform } from "../platform/fake/fake-windows-platform.ts";
import { startDaemon } from "../server/daemon.ts";

/** Config log levels and consola's numeric levels. */
const LOG_LEVELS = { debug: 4, info: 3, warn: 1, error: 0 } as const;

/** `skiff serve`: run the CRI daemon until SIGTERM or SIGINT. */
export const serveCommand = defineCommand({
  meta: { name: "serve", description: "run the CRI runtime daemon" },
  args: {
    config: { type: "string", alias: "c", description: "config file (env SKIFF_CONFIG; default /etc/skiff/config.toml, else built-in defaults)" },
    "log-level": { type: "enum", options: ["debug", "info", "warn", "error"], description: "overrides server.log_level" },
    platform: {
      type: "enum",
      options: ["auto", "windows-fake"],
      description: "TESTS ONLY: windows-fake runs the Windows pod code over a fake HCS (files in <paths.state>/fake-windows)",
    },
  },
  async run({ args }) {
    const fake = args.platform === "windows-fake";
    const { config, source } = await loadConfig({ path: args.config, env: process.env, handlerOs: fake ? "windows" : undefined });
    const level = (args["log-level"] ?? config.server.logLevel) as keyof typeof LOG_LEVELS;
    const log = createConsola({ level: LOG_LEVELS[level] ?? LOG_LEVELS.info });
    log.info(`config: ${source}`);
    if (fake) log.warn("--platform windows-fake: a TEST MODE; no container runs, every HCS call goes to a fake");
    const platform = fake ? createFakeWindowsPlatform(path.join(config.paths.state, "fake-windows")) : undefined;
    const daemon = await startDaemon(config, source, log, { platform });
    await new Promise<void>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        log.info(`${sig} received, shutting down`);
        daemon.stop().then(resolve, (err) => {
          log.error(err);
          resolve();
        });
      };
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
    });
  },
});
