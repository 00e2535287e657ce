/**
 * conmon's exit file: when the container (or an exec) ends, conmon writes the exit code
 * as decimal text to `<exit-dir>/<id>` (and `exit` in the persist dir); the file's mtime
 * is the moment it exited. A process killed by a signal reads as 128 + signal (137 for
 * SIGKILL). Pure parsing; the reading is in oci-runtime.ts.
 */
export function parseExitCode(text: string): number | undefined {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

