/**
 * Reading and waiting for the exit that conmon records. conmon writes `<exitDir>/<id>`
 * (and `exit` in the persist dir, which is the container dir here) with the exit code;
 * on an OOM kill it also creates an empty `oom` file in the persist dir (verified with
 * conmon 2.1.6 on cgroup v1: a dd in an 8 MiB container exits 137 and leaves `oom`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseExitCode } from "./exit-file.ts";
import type { ExitInfo } from "./runtime-types.ts";

/** The recorded exit, or undefined while the container runs (or the file is half written). */
export function readExitInfo(exitDir: string, id: string, dir: string): ExitInfo | undefined {
  for (const file of [path.join(exitDir, id), path.join(dir, "exit")]) {
    let stat: fs.BigIntStats;
    let text: string;
    try {
      stat = fs.statSync(file, { bigint: true });
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const exitCode = parseExitCode(text);
    if (exitCode === undefined) continue;
    return { exitCode, finishedAt: stat.mtimeNs, oomKilled: fs.existsSync(path.join(dir, "oom")) };
  }
  return undefined;
}

/** How often waitForExit re-reads the exit file when no watch event comes. */
export const EXIT_POLL_MS = 500;

/**
 * Resolves with the exit once recorded. Watches exitDir (fs.watch) and polls as well,
 * since inotify can miss events on some filesystems and the watcher itself may fail.
 */
export function waitForExit(exitDir: string, id: string, dir: string, signal?: AbortSignal): Promise<ExitInfo> {
  return new Promise<ExitInfo>((resolve, reject) => {
    let watcher: fs.FSWatcher | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    const done = () => {
      watcher?.close();
      if (timer) clearInterval(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const check = () => {
      const info = readExitInfo(exitDir, id, dir);
      if (info) {
        done();
        resolve(info);
      }
    };
    const onAbort = () => {
      done();
      reject(signal?.reason ?? new Error(`wait for container "${id}" aborted`));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort);
    try {
      watcher = fs.watch(exitDir, (_event, name) => {
        if (name === null || name === id) check();
      });
      watcher.on("error", () => watcher?.close());
    } catch {
      watcher = undefined;
    }
    timer = setInterval(check, EXIT_POLL_MS);
    check();
  });
}
