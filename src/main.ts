#!/usr/bin/env bun
import { defineCommand, runCommand, showUsage } from "citty";
import pkg from "../package.json" with { type: "json" };
import { describeError } from "./errors.ts";
import { UsageError } from "./cli/usage-error.ts";
import { startOverWithDaemonJit } from "./cli/daemon-jit.ts";

/**
 * The one command tree: the daemon and the client verbs. Each verb's module loads when it
 * is run, so `skiff serve` never loads what only the client verbs use (protobuf-es's
 * reflection over the CRI's descriptors and connect's client among it).
 */
export const mainCommand = defineCommand({
  meta: { name: "skiff", version: pkg.version, description: "a Kubernetes container runtime (CRI) in one file" },
  subCommands: {
    serve: () => import("./cli/serve.ts").then((m) => m.serveCommand),
    version: () => import("./cli/version.ts").then((m) => m.versionCommand),
    info: () => import("./cli/info.ts").then((m) => m.infoCommand),
    config: () => import("./cli/config.ts").then((m) => m.configCommand),
    doctor: () => import("./cli/doctor.ts").then((m) => m.doctorCommand),
    install: () => import("./cli/install.ts").then((m) => m.installCommand),
    uninstall: () => import("./cli/uninstall.ts").then((m) => m.uninstallCommand),
    bundle: () => import("./cli/bundle.ts").then((m) => m.bundleCommand),
    pull: () => import("./cli/pull.ts").then((m) => m.pullCommand),
    images: () => import("./cli/images.ts").then((m) => m.imagesCommand),
    inspecti: () => import("./cli/inspecti.ts").then((m) => m.inspectiCommand),
    rmi: () => import("./cli/rmi.ts").then((m) => m.rmiCommand),
    imagefsinfo: () => import("./cli/imagefsinfo.ts").then((m) => m.imagefsinfoCommand),
    image: () => import("./cli/image.ts").then((m) => m.imageCommand),
    spec: () => import("./cli/spec.ts").then((m) => m.specCommand),
    runp: () => import("./cli/runp.ts").then((m) => m.runpCommand),
    create: () => import("./cli/create.ts").then((m) => m.createCommand),
    start: () => import("./cli/start.ts").then((m) => m.startCommand),
    stop: () => import("./cli/stop.ts").then((m) => m.stopCommand),
    rm: () => import("./cli/rm.ts").then((m) => m.rmCommand),
    stopp: () => import("./cli/stopp.ts").then((m) => m.stoppCommand),
    rmp: () => import("./cli/rmp.ts").then((m) => m.rmpCommand),
    pods: () => import("./cli/pods.ts").then((m) => m.podsCommand),
    ps: () => import("./cli/ps.ts").then((m) => m.psCommand),
    stats: () => import("./cli/stats.ts").then((m) => m.statsCommand),
    statsp: () => import("./cli/statsp.ts").then((m) => m.statspCommand),
    events: () => import("./cli/events.ts").then((m) => m.eventsCommand),
    inspect: () => import("./cli/inspect.ts").then((m) => m.inspectCommand),
    inspectp: () => import("./cli/inspectp.ts").then((m) => m.inspectpCommand),
    logs: () => import("./cli/logs.ts").then((m) => m.logsCommand),
    exec: () => import("./cli/exec.ts").then((m) => m.execCommand),
    attach: () => import("./cli/attach.ts").then((m) => m.attachCommand),
    "port-forward": () => import("./cli/port-forward.ts").then((m) => m.portForwardCommand),
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
    const subs = (cmd.subCommands ?? {}) as Record<string, typeof mainCommand | (() => Promise<typeof mainCommand>)>;
    const entry = subs[word];
    if (!entry) break;
    const next = typeof entry === "function" ? await entry() : entry;
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
