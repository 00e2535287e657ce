/**
 * Runs the OCI runtime binary (runc/crun) directly for the verbs conmon does not wrap:
 * start, kill, delete, state, update. Global flags (`--root`, `--systemd-cgroup`) go before
 * the verb, as both runtimes require.
 */
import type { OciRuntimeOptions } from "./runtime-types.ts";
import { runtimeErrorMessage } from "./runtime-error.ts";

export type RuntimeResult = { exitCode: number; stdout: string; stderr: string };

/** The runtime argv for one verb, global flags first. Pure. */
export function runtimeArgv(opts: Pick<OciRuntimeOptions, "runtimePath" | "runtimeRoot" | "systemdCgroup">, args: string[]): string[] {
  return [opts.runtimePath, "--root", opts.runtimeRoot, ...(opts.systemdCgroup ? ["--systemd-cgroup"] : []), ...args];
}

/** Runs the runtime and collects its output; never throws for a non-zero exit. */
export async function runRuntime(
  opts: OciRuntimeOptions,
  args: string[],
  input?: string,
): Promise<RuntimeResult> {
  const argv = runtimeArgv(opts, args);
  opts.log?.debug("oci runtime", argv.join(" "));
  const started = performance.now();
  const proc = Bun.spawn(argv, {
    stdin: input === undefined ? "ignore" : new Blob([input]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  opts.observe?.(args[0] ?? "", (performance.now() - started) / 1000);
  return { exitCode, stdout, stderr };
}

/** An Error for a failed runtime call: `<handler> <verb> "<id>": <runtime's message>`. */
export function runtimeFailure(opts: OciRuntimeOptions, verb: string, id: string, r: RuntimeResult): Error {
  const msg = runtimeErrorMessage(r.stderr || r.stdout, `exit status ${r.exitCode}`);
  return new Error(`${opts.handler} ${verb} container "${id}": ${msg}`);
}
