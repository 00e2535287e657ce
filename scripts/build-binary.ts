#!/usr/bin/env bun
/**
 * Builds skiff's self-contained executables with `bun build --compile`, one per target.
 * Usage: bun scripts/build-binary.ts [target ...]   (default: every target)
 * The .env and bunfig autoloading is turned off: a node's working directory must not
 * change how the runtime behaves.
 */
import * as path from "node:path";

export const TARGETS = {
  "linux-x64": { bun: "bun-linux-x64", out: "skiff-linux-x64" },
  "linux-arm64": { bun: "bun-linux-arm64", out: "skiff-linux-arm64" },
  "windows-x64": { bun: "bun-windows-x64", out: "skiff-windows-x64.exe" },
} as const;
export type Target = keyof typeof TARGETS;

const root = path.resolve(import.meta.dir, "..");

/**
 * Compiles `entries` (the first is the program, the rest Worker entry points) into one
 * executable at `outfile`, with the flags every executable here is built with (benchmarks
 * compile their reference servers alike); throws with bun's output when it fails.
 */
export async function compile(entries: string[], outfile: string, bunTarget?: string): Promise<void> {
  const proc = Bun.spawn(
    [
      process.execPath,
      "build",
      "--compile",
      ...(bunTarget ? [`--target=${bunTarget}`] : []),
      "--minify",
      "--sourcemap",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      ...entries,
      "--outfile",
      outfile,
    ],
    { cwd: root, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`bun build of ${outfile} failed (${code}):\n${out}${err}`);
}

/** Compiles one target into dist/. */
export async function buildTarget(target: Target): Promise<string> {
  const t = TARGETS[target];
  const outfile = path.join(root, "dist", t.out);
  await compile(
    [
      path.join(root, "src/main.ts"),
      // Worker entry points must be bundled as entry points of their own.
      path.join(root, "src/image/unpack/unpack-worker.ts"),
      path.join(root, "src/platform/windows/windows-call-worker.ts"),
      path.join(root, "src/platform/windows/service-dispatcher-worker.ts"),
    ],
    outfile,
    t.bun,
  );
  return outfile;
}

if (import.meta.main) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(a in TARGETS));
  if (unknown.length > 0) {
    console.error(`unknown target(s): ${unknown.join(", ")}; known: ${Object.keys(TARGETS).join(", ")}`);
    process.exit(2);
  }
  const targets = (asked.length > 0 ? asked : Object.keys(TARGETS)) as Target[];
  for (const target of targets) {
    const started = performance.now();
    const out = await buildTarget(target);
    console.log(`built ${path.relative(root, out)} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  }
}
