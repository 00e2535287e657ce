/**
 * Runs one CNI plugin binary per the execution protocol: config on stdin, parameters in
 * CNI_* variables, result or error object on stdout, with a deadline.
 * See https://github.com/containernetworking/cni/blob/main/SPEC.md#section-2-execution-protocol
 */
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { DeadlineExceededError, NotFoundError, SkiffError } from "../errors.ts";
import { type CniResult, parseCniResult } from "./cni-result.ts";
import { type InvocationArgs, pluginEnv } from "./plugin-input.ts";

/** Default per-exec deadline: plugins that hang (a stuck iptables lock) must not hang a pod start. */
export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

/**
 * A plugin answered with the spec's error object (or exited non-zero without one).
 * `code` is the CNI error code (e.g. 7 "invalid network config", 11 "try again later").
 */
export class CniPluginError extends SkiffError {
  constructor(
    readonly plugin: string,
    readonly network: string,
    readonly command: string,
    readonly code: number | undefined,
    readonly msg: string,
    readonly details: string,
  ) {
    const codePart = code === undefined ? "" : ` (code ${code})`;
    super(`plugin "${plugin}" of network "${network}" failed on ${command}${codePart}: ${msg}${details ? `: ${details}` : ""}`);
  }
}

/** The first executable `<dir>/<type>` (or `<type>.exe`, as on Windows) over the bin dirs, or undefined. */
export async function findPlugin(type: string, binDirs: string[]): Promise<string | undefined> {
  for (const dir of binDirs) {
    for (const name of [type, `${type}.exe`]) {
      const p = join(dir, name);
      try {
        await access(p, constants.X_OK);
        return p;
      } catch {
        // not in this dir
      }
    }
  }
  return undefined;
}

/** Parses a failed plugin's output into a CniPluginError, falling back to its stderr. */
export function pluginFailure(
  plugin: string,
  network: string,
  command: string,
  exitCode: number | null,
  stdout: string,
  stderr: string,
): CniPluginError {
  try {
    const e = JSON.parse(stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof e === "object" && e !== null && (typeof e.msg === "string" || typeof e.code === "number")) {
      return new CniPluginError(
        plugin,
        network,
        command,
        typeof e.code === "number" ? e.code : undefined,
        typeof e.msg === "string" ? e.msg : "",
        typeof e.details === "string" ? e.details : "",
      );
    }
  } catch {
    // not an error object: use what it printed
  }
  const text = (stderr.trim() || stdout.trim()).slice(0, 500);
  return new CniPluginError(plugin, network, command, undefined, `exit status ${exitCode}`, text);
}

export type PluginCall = {
  type: string;
  network: string;
  stdin: Record<string, unknown>;
  inv: InvocationArgs;
  timeoutMs?: number;
  /** Hears how long the plugin ran (not called when it timed out). */
  observe?: (plugin: string, command: string, seconds: number) => void;
};

/**
 * Runs a plugin and returns its parsed result (ADD) or undefined (DEL/CHECK print nothing).
 * @throws NotFoundError when no bin dir has the plugin, CniPluginError on failure,
 *         DeadlineExceededError after the deadline (the plugin is killed)
 */
export async function invokePlugin(call: PluginCall): Promise<CniResult | undefined> {
  const { type, network, inv } = call;
  const path = await findPlugin(type, inv.binDirs);
  if (path === undefined) {
    throw new NotFoundError(`cni plugin "${type}" of network "${network}" not found in ${JSON.stringify(inv.binDirs.join(":"))}`);
  }
  const started = performance.now();
  const proc = Bun.spawn([path], {
    env: pluginEnv(inv, process.env),
    stdin: new TextEncoder().encode(JSON.stringify(call.stdin)),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timeoutMs = call.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  let timer: Timer | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  // Race the outputs too, not only the exit: a child the plugin left behind can hold its
  // stdout open long after the plugin itself is gone.
  const done = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const outcome = await Promise.race([done, deadline]).finally(() => clearTimeout(timer));
  if (outcome === "timeout") {
    proc.kill("SIGKILL");
    throw new DeadlineExceededError(`plugin "${type}" of network "${network}" timed out on ${inv.command} after ${timeoutMs} ms`);
  }
  const [stdout, stderr, exitCode] = outcome;
  call.observe?.(`cni:${type}`, inv.command, (performance.now() - started) / 1000);
  if (exitCode !== 0) throw pluginFailure(type, network, inv.command, exitCode, stdout, stderr);
  if (inv.command !== "ADD") return undefined;
  try {
    return parseCniResult(stdout);
  } catch (err) {
    throw new Error(`plugin "${type}" of network "${network}" on ADD`, { cause: err });
  }
}
