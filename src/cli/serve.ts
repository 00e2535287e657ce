import * as fs from "node:fs";
import * as path from "node:path";
import { defineCommand } from "citty";
import { loadConfig } from "../config/index.ts";
import { createLogger, type LogLevel, type Logger } from "../logger.ts";
import type { Config } from "../config/index.ts";
import { createFakeWindowsPlatform } from "../platform/fake/fake-windows-platform.ts";
import { createPlatform } from "../platform/index.ts";
import { startDaemon } from "../server/daemon.ts";
import { jscEnvInEffect } from "./daemon-jit.ts";
import { WINDOWS_SERVICE_NAME } from "./windows-service.ts";

/** A service has no console: its log goes to `<paths.root>/skiff.log`. */
function serviceLog(config: Config, level: LogLevel): Logger {
  const file = path.join(config.paths.root, "skiff.log");
  fs.mkdirSync(config.paths.root, { recursive: true });
  return createLogger({ level, write: (line) => fs.appendFileSync(file, `${line}\n`) });
}

/** `skiff serve`: run the CRI daemon until SIGTERM or SIGINT (or, as a Windows service, until the SCM stops it). */
export const serveCommand = defineCommand({
  meta: { name: "serve", description: "run the CRI runtime daemon" },
  args: {
    config: { type: "string", alias: "c", description: "config file (env SKIFF_CONFIG; default /etc/skiff/config.toml, else built-in defaults)" },
    "log-level": { type: "enum", options: ["debug", "info", "warn", "error"], description: "overrides server.log_level" },
    "windows-service": { type: "boolean", description: "run as the Windows service registered by skiff install (log in <paths.root>\\skiff.log)" },
    platform: {
      type: "enum",
      options: ["auto", "windows-fake"],
      description: "TESTS ONLY: windows-fake runs the Windows pod code over a fake HCS (files in <paths.state>/fake-windows)",
    },
  },
  async run({ args }) {
    const fake = args.platform === "windows-fake";
    const { config, source } = await loadConfig({ path: args.config, env: process.env, handlerOs: fake ? "windows" : undefined });
    const level = (args["log-level"] ?? config.server.logLevel) as LogLevel;
    const service = args["windows-service"] === true;
    const log = service ? serviceLog(config, level) : createLogger({ level });
    log.info(`config: ${source}`);
    log.info(`JavaScriptCore: ${jscEnvInEffect(process.env)}`);
    if (fake) log.warn("--platform windows-fake: a TEST MODE; no container runs, every HCS call goes to a fake");
    const platform = fake ? createFakeWindowsPlatform(path.join(config.paths.state, "fake-windows")) : createPlatform();
    if (service) {
      const runAsService = platform.windows?.runAsService;
      if (!runAsService) throw new Error("--windows-service: there is no Windows Service Control Manager here");
      let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
      await runAsService(WINDOWS_SERVICE_NAME, {
        start: async () => {
          daemon = await startDaemon(config, source, log, { platform });
        },
        stop: async () => {
          log.info("the Service Control Manager asked skiff to stop");
          await daemon?.stop();
        },
        onError: (err) => log.error(err),
      });
      return;
    }
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
