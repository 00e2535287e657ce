/**
 * Runs the compiled skiff binary (dist/skiff-linux-x64) as `skiff serve` with a temp
 * config: socket, root and state all inside one temp dir, removed after stop.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir, type RunningDaemon, spawnDaemon } from "./daemon.ts";

export const REPO = path.resolve(import.meta.dir, "../..");

export type SkiffOptions = {
  /** The binary. Default $SKIFF_BIN, else dist/skiff-linux-x64 in this repo. */
  binary?: string;
  /**
   * "if-missing" (default) builds dist/skiff-linux-x64 when it does not exist, "always"
   * rebuilds it first, "never" fails when it is missing. Ignored when `binary` or
   * $SKIFF_BIN names another file.
   */
  build?: "if-missing" | "always" | "never";
  /** Passed as `--log-level`; default: whatever the config defaults to. */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Extra TOML appended to the generated config. */
  extraConfig?: string;
  /** Extra lines for the generated config's [server] table. */
  serverConfig?: string;
  /** Where to make the temp dir (socket, root, state). Default the OS temp dir. */
  tmpRoot?: string;
  readyTimeoutMs?: number;
  keepDir?: boolean;
};

const DEFAULT_BINARY = path.join(REPO, "dist", "skiff-linux-x64");

/** Makes sure the binary exists (building it when asked to) and returns its path. */
export async function ensureSkiffBinary(opts: Pick<SkiffOptions, "binary" | "build"> = {}): Promise<string> {
  const binary = opts.binary ?? process.env.SKIFF_BIN ?? DEFAULT_BINARY;
  const mode = opts.build ?? "if-missing";
  const ours = path.resolve(binary) === DEFAULT_BINARY;
  if (ours && (mode === "always" || (mode === "if-missing" && !fs.existsSync(binary)))) {
    const { buildTarget } = await import("../../scripts/build-binary.ts");
    const t0 = performance.now();
    console.error(`building ${path.relative(REPO, binary)} ...`);
    await buildTarget("linux-x64");
    console.error(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing (bun scripts/build-binary.ts linux-x64)`);
  if (ours) warnIfStale(binary);
  return binary;
}

/** A benchmark of an old build measures old code: say so when src/ changed since. */
let staleChecked = false;
function warnIfStale(binary: string): void {
  if (staleChecked) return;
  staleChecked = true;
  const built = fs.statSync(binary).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (fs.statSync(p).mtimeMs > built) newer.push(path.relative(REPO, p));
    }
  };
  walk(path.join(REPO, "src"));
  if (newer.length > 0) {
    console.error(`warning: ${newer.length} file(s) under src/ are newer than ${path.relative(REPO, binary)} ` +
      `(e.g. ${newer.slice(0, 3).join(", ")}); pass --rebuild to measure the current code`);
  }
}

/** The config file: only what must differ from the defaults to stay inside `dir`. */
export function skiffConfig(dir: string, extra = "", server = ""): string {
  const q = (s: string) => JSON.stringify(s);
  return `# written by skiff's bench/lib/skiff.ts
[server]
socket = ${q(path.join(dir, "skiff.sock"))}
${server}
[paths]
root = ${q(path.join(dir, "root"))}
state = ${q(path.join(dir, "state"))}
${extra}`;
}

export async function startSkiff(opts: SkiffOptions = {}): Promise<RunningDaemon> {
  const binary = await ensureSkiffBinary(opts);
  const dir = makeTempDir("skiff", opts.tmpRoot);
  const configPath = path.join(dir, "config.toml");
  fs.writeFileSync(configPath, skiffConfig(dir, opts.extraConfig, opts.serverConfig));
  const argv = [binary, "serve", "--config", configPath];
  if (opts.logLevel) argv.push("--log-level", opts.logLevel);
  return spawnDaemon({
    name: "skiff",
    argv,
    dir,
    socketPath: path.join(dir, "skiff.sock"),
    // Keep an outer SKIFF_CONFIG from overriding the --config we pass.
    env: { SKIFF_CONFIG: undefined },
    readyTimeoutMs: opts.readyTimeoutMs,
    keepDir: opts.keepDir,
  });
}
