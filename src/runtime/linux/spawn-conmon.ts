/**
 * Starts conmon with a sync pipe on fd 3 (`_OCI_SYNCPIPE=3`). conmon forks twice and its
 * first process exits at once, so the monitor and the container are never children of
 * skiff and survive a skiff restart or kill -9. The first process's stderr holds early
 * errors (bad flags); later ones come through the sync pipe.
 */
import type { OciRuntimeOptions } from "./runtime-types.ts";
import { SyncPipeReader } from "./sync-pipe.ts";

export type SpawnedConmon = {
  sync: SyncPipeReader;
  /** With `attachPipes`: conmon's attach pipe (fd 4 in conmon) and our end of its start pipe (fd 5). */
  attach?: { ready: SyncPipeReader; startFd: number };
  /** Resolves with the first conmon process's exit status (it exits after daemonizing). */
  exited: Promise<number>;
  /** What that process wrote to stderr so far (complete once `exited` resolved). */
  stderrText(): string;
};

/**
 * `cwd` matters: conmon writes some files (an `oom` marker among them) relative to its
 * working directory, so it runs in the container's own dir, never in skiff's.
 */
export async function spawnConmon(opts: OciRuntimeOptions, args: string[], cwd: string, attachPipes = false): Promise<SpawnedConmon> {
  opts.log?.debug("conmon", opts.conmonPath, args.join(" "));
  const proc = Bun.spawn([opts.conmonPath, ...args], {
    stdio: attachPipes ? ["ignore", "ignore", "pipe", "pipe", "pipe", "pipe"] : ["ignore", "ignore", "pipe", "pipe"],
    cwd,
    env: { ...process.env, _OCI_SYNCPIPE: "3", ...(attachPipes ? { _OCI_ATTACHPIPE: "4", _OCI_STARTPIPE: "5" } : {}) },
  });
  const fd = proc.stdio[3];
  if (typeof fd !== "number") throw new Error("conmon: no sync pipe fd");
  let stderr = "";
  const stderrDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) stderr += dec.decode(chunk, { stream: true });
  })().catch(() => {});
  const exited = proc.exited.then(async (code) => {
    await stderrDone;
    return code;
  });
  const [attachFd, startFd] = [proc.stdio[4], proc.stdio[5]];
  const attach = attachPipes && typeof attachFd === "number" && typeof startFd === "number" ? { ready: new SyncPipeReader(attachFd), startFd } : undefined;
  return { sync: new SyncPipeReader(fd), attach, exited, stderrText: () => stderr.trim() };
}
