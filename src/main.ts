#!/usr/bin/env bun
import { defineCommand, runCommand, showUsage } from "citty";
import pkg from "../package.json" with { type: "json" };
import { describeError } from "./errors.ts";
import { UsageError } from "./cli/client-args.ts";
import { configCommand } from "./cli/config.ts";
import { doctorCommand } from "./cli/doctor.ts";
import { bundleCommand } from "./cli/bundle.ts";
import { installCommand } from "./cli/install.ts";
import { uninstallCommand } from "./cli/uninstall.ts";
import { imageCommand } from "./cli/image.ts";
import { imagefsinfoCommand } from "./cli/imagefsinfo.ts";
import { imagesCommand } from "./cli/images.ts";
import { infoCommand } from "./cli/info.ts";
import { inspectiCommand } from "./cli/inspecti.ts";
import { pullCommand } from "./cli/pull.ts";
import { rmiCommand } from "./cli/rmi.ts";
import { serveCommand } from "./cli/serve.ts";
import { specCommand } from "./cli/spec.ts";
import { versionCommand } from "./cli/version.ts";
import { runpCommand } from "./cli/runp.ts";
import { createCommand } from "./cli/create.ts";
import { startCommand } from "./cli/start.ts";
import { stopCommand } from "./cli/stop.ts";
import { rmCommand } from "./cli/rm.ts";
import { stoppCommand } from "./cli/stopp.ts";
import { rmpCommand } from "./cli/rmp.ts";
import { podsCommand } from "./cli/pods.ts";
import { psCommand } from "./cli/ps.ts";
import { statsCommand } from "./cli/stats.ts";
import { statspCommand } from "./cli/statsp.ts";
import { eventsCommand } from "./cli/events.ts";
import { inspectCommand } from "./cli/inspect.ts";
import { inspectpCommand } from "./cli/inspectp.ts";
import { logsCommand } from "./cli/logs.ts";
import { execCommand } from "./cli/exec.ts";
import { attachCommand } from "./cli/attach.ts";
import { portForwardCommand } from "./cli/port-forward.ts";
import { startOverWithDaemonJit } from "./cli/daemon-jit.ts";

/** The one command tree: the daemon and the client verbs. */
export const mainCommand = defineCommand({
  meta: { name: "skiff", version: pkg.version, description: "a Kubernetes container runtime (CRI) in one file" },
  subCommands: {
    serve: serveCommand,
    version: versionCommand,
    info: infoCommand,
    config: configCommand,
    doctor: doctorCommand,
    install: installCommand,
    uninstall: uninstallCommand,
    bundle: bundleCommand,
    pull: pullCommand,
    images: imagesCommand,
    inspecti: inspectiCommand,
    rmi: rmiCommand,
    imagefsinfo: imagefsinfoCommand,
    image: imageCommand,
    spec: specCommand,
    runp: runpCommand,
    create: createCommand,
    start: startCommand,
    stop: stopCommand,
    rm: rmCommand,
    stopp: stoppCommand,
    rmp: rmpCommand,
    pods: podsCommand,
    ps: psCommand,
    stats: statsCommand,
    statsp: statspCommand,
    events: eventsCommand,
    inspect: inspectCommand,
    inspectp: inspectpCommand,
    logs: logsCommand,
    exec: execCommand,
    attach: attachCommand,
    "port-forward": portForwardCommand,
  },
});

/** Exit codes: 0 ok, 1 the command failed, 2 it was called wrongly. */
async function main(rawArgs: string[]): Promise<number> {
  if (rawArgs.length === 0 || rawArgs.includes("--help") || rawArgs.includes("-h")) {
    await showUsage(...(await resolveForUsage(rawArgs)));
    return rawArgs.length === 0 ? 2 : 0;
  }
  if (rawArgs.length === 1 && rawArgs[0] === "--version") {
    console.log(pkg.version);
    return 0;
  }
  try {
    await runCommand(mainCommand, { rawArgs });
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && err.name === "CLIError")) {
      console.error(`skiff: ${err.message}\n(see skiff --help)`);
      return 2;
    }
    console.error(`skiff: ${describeError(err)}`);
    return 1;
  }
}

/** Finds the subcommand named on the line so --help shows its own usage. */
async function resolveForUsage(rawArgs: string[]): Promise<[typeof mainCommand, typeof mainCommand?]> {
  let cmd: typeof mainCommand = mainCommand;
  let parent: typeof mainCommand | undefined;
  for (const word of rawArgs) {
    const subs = (cmd.subCommands ?? {}) as Record<string, typeof mainCommand>;
    const next = subs[word];
    if (!next) break;
    parent = cmd;
    cmd = next;
  }
  return [cmd, parent];
}

if (import.meta.main) {
  const rawArgs = process.argv.slice(2);
  if (rawArgs[0] === "serve") startOverWithDaemonJit();
  main(rawArgs).then((code) => process.exit(code));
}
