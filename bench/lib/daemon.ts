/**
 * The common part of running a CRI daemon for a benchmark: spawn it with its output going
 * to a log file in its temp dir, wait until its CRI socket answers `Version`, and stop it
 * (SIGTERM, then SIGKILL after a grace period) and remove the temp dir afterwards.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createCriClient } from "../../src/cli/cri-client.ts";
import { onCleanup } from "./cleanup.ts";

export type RunningDaemon = {
  /** What it is, for messages: "skiff", "containerd". */
  name: string;
  /** CRI endpoint, `unix:///...`. */
  endpoint: string;
  /** The daemon's own pid (the one whose RSS is measured). */
  pid: number;
  /** Temp dir holding its config, socket, root, state and log. */
  dir: string;
  logPath: string;
  /** What the daemon said in the `Version` answer that made it ready. */
  version: { runtimeName: string; runtimeVersion: string; runtimeApiVersion: string };
  /** Stops the daemon and removes its temp dir (unless kept); safe to call twice. */
  stop(): Promise<void>;
};

export type SpawnOptions = {
  name: string;
  argv: string[];
  dir: string;
  socketPath: string;
  env?: Record<string, string | undefined>;
  /** How long to wait for the first good `Version` answer. Default 30 s. */
  readyTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL. Default 10 s. */
  stopGraceMs?: number;
  /** Leave the temp dir behind after stop (for looking at logs). Also $BENCH_KEEP_TMP=1. */
  keepDir?: boolean;
};

/** A fresh private temp dir, e.g. /tmp/skiff-bench-containerd-Ab12Cd (under `base` when given). */
export function makeTempDir(name: string, base = os.tmpdir()): string {
  // Short prefix under /tmp: unix socket paths must stay below 108 bytes.
  return fs.mkdtempSync(path.join(base, `skiff-bench-${name}-`));
}

/** The last lines of a log file, for error messages. */
export function logTail(logPath: string, lines = 40): string {
  try {
    return fs.readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export async function spawnDaemon(opts: SpawnOptions): Promise<RunningDaemon> {
  const logPath = path.join(opts.dir, `${opts.name}.log`);
  const logFd = fs.openSync(logPath, "a");
  const keep = opts.keepDir ?? process.env.BENCH_KEEP_TMP === "1";
  const endpoint = `unix://${opts.socketPath}`;

  const proc = Bun.spawn(opts.argv, {
    cwd: opts.dir,
    env: mergeEnv(process.env, opts.env ?? {}),
    stdin: "ignore",
    stdout: logFd,
    stderr: logFd,
  });
  fs.closeSync(logFd);

  // One stop, however many callers: a second caller waits for the first to finish.
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopOnce());
  const stopOnce = async () => {
    untrack();
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const grace = opts.stopGraceMs ?? 10_000;
      let timer: Timer | undefined;
      const exited = await Promise.race([
        proc.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), grace);
        }),
      ]);
      clearTimeout(timer); // a pending timer would keep the benchmark process alive
      if (!exited) {
        console.error(`${opts.name} (pid ${proc.pid}) ignored SIGTERM for ${grace} ms; killing it`);
        proc.kill("SIGKILL");
        await proc.exited;
      }
    }
    if (keep) console.error(`${opts.name}: kept ${opts.dir}`);
    else fs.rmSync(opts.dir, { recursive: true, force: true });
  };
  const untrack = onCleanup(`stop ${opts.name}`, stop);

  try {
    const version = await waitForVersion(endpoint, proc, opts.readyTimeoutMs ?? 30_000);
    return { name: opts.name, endpoint, pid: proc.pid, dir: opts.dir, logPath, version, stop };
  } catch (err) {
    const tail = logTail(logPath);
    // The log is the only clue when it would not start: copy it out before the dir goes.
    let savedLog = logPath;
    if (!keep) {
      savedLog = path.join(os.tmpdir(), `skiff-bench-${opts.name}-failed.log`);
      try {
        fs.copyFileSync(logPath, savedLog);
      } catch {
        savedLog = "(log lost)";
      }
    }
    await stop();
    throw new Error(`${opts.name} did not become ready: ${(err as Error).message}\n--- last lines of its log (${savedLog}) ---\n${tail}`, {
      cause: err,
    });
  }
}

/** process.env plus overrides; an override of `undefined` removes the variable. */
function mergeEnv(base: Record<string, string | undefined>, over: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, ...over })) if (v !== undefined) out[k] = v;
  return out;
}

/** Polls `Version` until it answers, the process dies, or the time is up. */
async function waitForVersion(endpoint: string, proc: { readonly exitCode: number | null; readonly signalCode: NodeJS.Signals | number | null }, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = new Error("no attempt made");
  while (performance.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`process exited (${proc.exitCode ?? proc.signalCode}) before answering Version`);
    }
    // A new client per attempt: a connection that failed must not be reused.
    const client = createCriClient(endpoint, { timeoutMs: 2_000 });
    try {
      const v = await client.runtime.version({ version: "v1" });
      return { runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion, runtimeApiVersion: v.runtimeApiVersion };
    } catch (err) {
      lastError = err;
    } finally {
      client.close();
    }
    await Bun.sleep(50);
  }
  throw new Error(`no Version answer within ${timeoutMs} ms (last error: ${(lastError as Error).message})`);
}
