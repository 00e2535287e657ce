import * as fs from "node:fs";

/**
 * A small text file's contents, or `fallback` when it cannot be read: for the /proc,
 * /sys and /etc files and the runtime's own pid and log files, whose absence is an
 * answer rather than an error.
 */
export function readOr<T extends string | undefined>(file: string, fallback: T): string | T {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/** The positive pid a pid file holds, or undefined when it is missing or holds none. */
export function readPid(file: string): number | undefined {
  const n = Number(readOr(file, "").trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
