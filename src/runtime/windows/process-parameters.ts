/**
 * HCS ProcessParameters for a spec's process (what hcsshim's cmd package sends): the
 * command line (the spec's own, else the args escaped and joined), the user by name,
 * the working directory, the environment as a map (entries with an empty value are left
 * out, as hcsshim leaves them), a console when the process has a terminal, and the stdio
 * pipes asked for.
 */
import type { Process } from "../../oci/spec.ts";
import { joinCommandLine } from "../../oci/windows-command-line.ts";
import { compact, type ProcessParameters } from "./hcs-schema.ts";

export type Stdio = { stdin?: boolean; stdout?: boolean; stderr?: boolean };

export function processParameters(p: Process, stdio: Stdio): ProcessParameters {
  const env: Record<string, string> = {};
  for (const e of p.env ?? []) {
    const eq = e.indexOf("=");
    if (eq > 0 && eq < e.length - 1) env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return compact({
    CommandLine: p.commandLine || joinCommandLine(p.args ?? []),
    User: p.user.username || undefined,
    WorkingDirectory: p.cwd || undefined,
    Environment: Object.keys(env).length > 0 ? env : undefined,
    EmulateConsole: p.terminal || undefined,
    CreateStdInPipe: stdio.stdin || undefined,
    CreateStdOutPipe: stdio.stdout || undefined,
    CreateStdErrPipe: stdio.stderr || undefined,
    ConsoleSize: p.consoleSize ? ([p.consoleSize.height, p.consoleSize.width] as [number, number]) : undefined,
  });
}
