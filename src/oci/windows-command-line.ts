/**
 * Windows command lines. A Windows process gets one string, which the program splits
 * itself; the usual rules (CommandLineToArgvW, the C runtime's) are: whitespace
 * separates arguments, double quotes group, and backslashes are literal except before a
 * double quote, where each pair is one backslash and an odd one escapes the quote
 * (https://learn.microsoft.com/en-us/cpp/c-language/parsing-c-command-line-arguments).
 * `escapeArg` writes an argument so those rules read it back unchanged.
 */
import type { ContainerConfig } from "../gen/runtime/v1/api_pb.ts";
import type { ImageConfig } from "../image/manifest.ts";
import { resolveArgs } from "./opts/process.ts";

/** One argument quoted for a Windows command line (empty → `""`). */
export function escapeArg(s: string): string {
  if (s === "") return '""';
  const needsQuotes = /[ \t]/.test(s);
  if (!/["\\ \t]/.test(s)) return s;
  if (!/["\\]/.test(s)) return `"${s}"`;
  let out = needsQuotes ? '"' : "";
  let slashes = 0;
  for (const c of s) {
    if (c === "\\") {
      slashes++;
    } else if (c === '"') {
      // The backslashes before a quote double, and the quote gets one of its own.
      out += "\\".repeat(slashes + 1);
      slashes = 0;
    } else {
      slashes = 0;
    }
    out += c;
  }
  // Backslashes before the closing quote double too, or they would escape it.
  if (needsQuotes) out += `${"\\".repeat(slashes)}"`;
  return out;
}

/** The command line for `args`, each escaped, joined by spaces. */
export function joinCommandLine(args: readonly string[]): string {
  return args.map(escapeArg).join(" ");
}

/**
 * What a Windows container runs: args, or a whole command line when the image says its
 * Entrypoint/Cmd is already escaped (Docker's `ArgsEscaped`) and the first argument comes
 * from the image; then that first argument is taken as written and the rest are escaped,
 * as containerd does.
 */
export function windowsProcessArgs(config: ContainerConfig, image: ImageConfig): { args: string[] } | { commandLine: string } {
  const { entrypoint = [], cmd = [] } = image.config;
  const args = resolveArgs(config.command, config.args, entrypoint, cmd);
  const firstFromImage = config.command.length === 0 && (entrypoint.length > 0 || config.args.length === 0);
  if (!image.config.argsEscaped || !firstFromImage) return { args };
  const [first = "", ...rest] = args;
  return { commandLine: rest.length > 0 ? `${first} ${joinCommandLine(rest)}` : first };
}
