import { defineCommand } from "citty";
import { createConsola } from "consola";
import { loadConfig } from "../config/index.ts";
import { startDaemon } from "../server/daemon.ts";

/** Config log levels and consola's numeric levels. */
const LOG_LEVELS = { debug: 4, info: 3, warn: 1, error: 0 } as const;

/** `skiff serve`: run the CRI daemon until SIGTERM or SIGINT. */
export const serveCommand = defineCommand({
  meta: { name: "serve", description: "run the CRI runtime daemon" },
  args: {
    config: { type: "string", alias: "c", description: "config file (env SKIFF_CONFIG; default /etc/skiff/config.toml, else built-in defaults)" },
    "log-level": { type: "enum", options: ["debug", "info", "warn", "error"], description: "overrides server.log_level" },
  },
  async run({ args }) {
    const { config, source } = await loadConfig({ path: args.config, env: process.env });
    const level = (args["log-level"] ?? config.server.logLevel) as keyof typeof LOG_LEVELS;
    const log = createConsola({ level: LOG_LEVELS[level] ?? LOG_LEVELS.info });
    log.info(`config: ${source}`);
    const daemon = await startDaemon(config, source, log);
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
