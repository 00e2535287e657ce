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
  for (const file of [`${exitDir}/${id}`, `${dir}/exit`]) {
    // The common case is a container still running, with no file: an existence check
    // answers it without an exception or a stat object (listings ask for every container).
    if (!fs.existsSync(file)) continue;
    const stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    if (!stat) continue;
    let text: string;
    try {
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

/** The names in exitDir: the ids whose exit conmon recorded (empty when it cannot be read). */
export function recordedExitIds(exitDir: string): Set<string> {
  try {
    return new Set(fs.readdirSync(exitDir));
  } catch {
    return new Set();
  }
}

/**
 * How often the exits of all waiting containers are read again when no watch event came:
 * a fallback only, as every listing folds in exits too.
 */
export const EXIT_POLL_MS = 10_000;
/** The same, while the directory watch is broken and polling is all there is. */
export const EXIT_POLL_UNWATCHED_MS = 500;

type Waiter = { id: string; dir: string; resolve(info: ExitInfo): void };

/**
 * Every container waiting for its exit in one exit dir, under one fs.watch and one poll
 * timer: a watcher and a timer per container cost O(containers) work on every event and
 * every tick, which with hundreds of containers was the daemon's idle CPU.
 */
class ExitDirWatch {
  readonly waiters = new Map<string, Set<Waiter>>();
  #watcher: fs.FSWatcher | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly exitDir: string,
    private readonly onIdle: () => void,
  ) {}

  add(w: Waiter): void {
    const set = this.waiters.get(w.id) ?? new Set();
    this.waiters.set(w.id, set.add(w));
    if (!this.#timer) this.#start();
    this.check(w.id);
  }

  remove(w: Waiter): void {
    const set = this.waiters.get(w.id);
    set?.delete(w);
    if (set?.size === 0) this.waiters.delete(w.id);
    if (this.waiters.size === 0) this.#stop();
  }

  check(id: string): void {
    const set = this.waiters.get(id);
    const first = set?.values().next().value;
    if (!first) return;
    const info = readExitInfo(this.exitDir, id, first.dir);
    if (!info) return;
    for (const w of [...set!]) {
      this.remove(w);
      w.resolve(info);
    }
  }

  #checkAll = () => {
    for (const id of [...this.waiters.keys()]) this.check(id);
  };

  #start(): void {
    try {
      this.#watcher = fs.watch(this.exitDir, (_event, name) => (name === null ? this.#checkAll() : this.check(name)));
      this.#watcher.on("error", () => this.#unwatched());
    } catch {
      this.#watcher = undefined;
    }
    this.#timer = setInterval(this.#checkAll, this.#watcher ? EXIT_POLL_MS : EXIT_POLL_UNWATCHED_MS);
  }

  /** The watch broke: poll at the faster rate from now on. */
  #unwatched(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#timer);
    this.#timer = setInterval(this.#checkAll, EXIT_POLL_UNWATCHED_MS);
  }

  #stop(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.onIdle();
  }
}

const watches = new Map<string, ExitDirWatch>();

/**
 * Resolves with the exit once recorded: on a watch event for the container's exit file,
 * or at the latest on the next poll (inotify can miss events on some filesystems, and
 * the watch itself may fail).
 */
export function waitForExit(exitDir: string, id: string, dir: string, signal?: AbortSignal): Promise<ExitInfo> {
  return new Promise<ExitInfo>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error(`wait for container "${id}" aborted`));
    let watch = watches.get(exitDir);
    if (!watch) {
      const fresh: ExitDirWatch = new ExitDirWatch(exitDir, () => watches.get(exitDir) === fresh && watches.delete(exitDir));
      watches.set(exitDir, (watch = fresh));
    }
    const w: Waiter = {
      id,
      dir,
      resolve: (info) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(info);
      },
    };
    const onAbort = () => {
      watch.remove(w);
      reject(signal?.reason ?? new Error(`wait for container "${id}" aborted`));
    };
    signal?.addEventListener("abort", onAbort);
    watch.add(w);
  });
}
