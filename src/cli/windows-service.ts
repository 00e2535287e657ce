/**
 * The Windows service skiff runs as: its definition (a pure function, so what `skiff
 * install` registers is tested on any OS) and the `sc.exe` commands that register it
 * (https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/sc-create).
 * The service runs `skiff.exe serve --windows-service` as LocalSystem, starts with the
 * node after the Host Compute Service and the Host Network Service, and is restarted by
 * the Service Control Manager when it fails, as a kubelet expects of its runtime.
 */
import { defaultConfigPath } from "../config/defaults.ts";
import { escapeArg } from "../oci/windows-command-line.ts";

export const WINDOWS_SERVICE_NAME = "skiff";

export type WindowsServiceDefinition = {
  name: string;
  displayName: string;
  description: string;
  /** The service's command line: the executable quoted, then its arguments. */
  binaryPath: string;
  /** `delayed-auto`: started at boot, after the automatic services. */
  start: "auto" | "delayed-auto" | "demand";
  /** LocalSystem: HCS, HNS and the layer calls need it. */
  account: "LocalSystem";
  /** Services that must run first: vmcompute (HCS) and hns (HNS). */
  dependsOn: string[];
  /** What the SCM does when the process ends without stopping: restart after these delays (ms). */
  restartDelaysMs: number[];
  /** Seconds after which the failure count starts again. */
  resetFailuresAfterSec: number;
};

export type WindowsServiceOptions = {
  /** Where skiff.exe is (the running executable, for `skiff install`). */
  exePath: string;
  /** The config the service reads; default C:\ProgramData\skiff\config.toml. */
  configPath?: string;
  logLevel?: "debug" | "info" | "warn" | "error";
};

export function windowsServiceDefinition(opts: WindowsServiceOptions): WindowsServiceDefinition {
  const args = ["serve", "--windows-service", "--config", opts.configPath ?? defaultConfigPath("win32")];
  if (opts.logLevel) args.push("--log-level", opts.logLevel);
  return {
    name: WINDOWS_SERVICE_NAME,
    displayName: "skiff container runtime",
    description: "Kubernetes container runtime (CRI) on npipe:////./pipe/skiff, running Windows containers through the Host Compute Service",
    binaryPath: [`"${opts.exePath}"`, ...args.map(escapeArg)].join(" "),
    start: "delayed-auto",
    account: "LocalSystem",
    dependsOn: ["vmcompute", "hns"],
    restartDelaysMs: [5_000, 5_000, 30_000],
    resetFailuresAfterSec: 86_400,
  };
}

/**
 * The `sc.exe` invocations that register the service, in order. sc.exe wants each option
 * name with its `=` as one argument and the value as the next.
 */
export function scCreateCommands(def: WindowsServiceDefinition): string[][] {
  return [
    ["sc.exe", "create", def.name, "binPath=", def.binaryPath, "start=", def.start, "obj=", def.account, "DisplayName=", def.displayName, "depend=", def.dependsOn.join("/")],
    ["sc.exe", "description", def.name, def.description],
    [
      "sc.exe",
      "failure",
      def.name,
      "reset=",
      String(def.resetFailuresAfterSec),
      "actions=",
      def.restartDelaysMs.map((ms) => `restart/${ms}`).join("/"),
    ],
  ];
}

/** The commands that remove it: stop, then delete. */
export function scDeleteCommands(name = WINDOWS_SERVICE_NAME): string[][] {
  return [
    ["sc.exe", "stop", name],
    ["sc.exe", "delete", name],
  ];
}

/**
 * Registers the service by running `scCreateCommands` with `run` (the caller's process
 * runner); stops at the first command that fails and says which. For the `skiff install`
 * command on Windows.
 */
export async function registerWindowsService(
  def: WindowsServiceDefinition,
  run: (argv: string[]) => Promise<{ code: number; output: string }>,
): Promise<void> {
  for (const argv of scCreateCommands(def)) {
    const r = await run(argv);
    // sc.exe says 1073 (ERROR_SERVICE_EXISTS) for a service registered before.
    if (r.code !== 0) throw new Error(`${argv.slice(0, 3).join(" ")} failed (exit ${r.code}): ${r.output.trim()}`);
  }
}

/** Runs an sc.exe command line, collecting what it printed. */
export async function runSc(argv: string[]): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: `${out}${err}` };
}

/**
 * `skiff install` on Windows: registers the running skiff.exe as the service (it stays
 * where it is; put it where it should live first), then starts it unless told not to.
 * With `dryRun`, prints the sc.exe commands and changes nothing.
 */
export async function installWindows(opts: { exePath: string; dryRun: boolean; start: boolean; log: (line: string) => void }): Promise<void> {
  const def = windowsServiceDefinition({ exePath: opts.exePath });
  const start = opts.start ? [["sc.exe", "start", def.name]] : [];
  if (opts.dryRun) {
    opts.log("dry run: nothing is changed");
    for (const argv of [...scCreateCommands(def), ...start]) opts.log(argv.join(" "));
    return;
  }
  await registerWindowsService(def, runSc);
  for (const argv of start) {
    const r = await runSc(argv);
    if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.code}): ${r.output.trim()}`);
  }
  opts.log(`skiff registered as the Windows service "${def.name}" (${def.binaryPath})`);
}

/** `skiff uninstall` on Windows: stops and deletes the service (a stop of a stopped service is fine). */
export async function uninstallWindows(opts: { dryRun: boolean; log: (line: string) => void }): Promise<void> {
  const [stop, del] = scDeleteCommands();
  if (opts.dryRun) {
    opts.log("dry run: nothing is changed");
    for (const argv of [stop!, del!]) opts.log(argv.join(" "));
    return;
  }
  await runSc(stop!);
  const r = await runSc(del!);
  if (r.code !== 0) throw new Error(`${del!.join(" ")} failed (exit ${r.code}): ${r.output.trim()}`);
  opts.log(`the Windows service "${WINDOWS_SERVICE_NAME}" is removed`);
}
