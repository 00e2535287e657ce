import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./client-args.ts";

/** The `--root` of install/uninstall, checked: changing this host needs root; another tree need not. */
export function targetRoot(root: string, dryRun: boolean): string {
  const resolved = path.resolve(root);
  if (resolved !== "/" && fs.existsSync(resolved) && !fs.statSync(resolved).isDirectory()) throw new UsageError(`--root ${root} is not a directory`);
  if (resolved === "/" && !dryRun && process.getuid?.() !== 0) throw new UsageError("run as root to change this host (or use --dry-run, or --root DIR)");
  return resolved;
}

/** Runs a systemctl command, its output passed through; throws when it fails. */
export async function runSystemctl(argv: string[]): Promise<void> {
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${argv.join(" ")} failed with exit code ${code}`);
}
