/**
 * Telling whether a process we started is still the same live process: a pid alone can
 * be reused after it exits, so it is paired with the process's start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot). A zombie counts as gone: it has exited,
 * only its parent has not reaped it yet.
 */
import { readOr } from "../read-or.ts";

export type ProcessIdentity = { pid: number; startTime: string };

/** State letter and start time from /proc/<pid>/stat, or undefined if there is no such process. */
function readStat(pid: number, procRoot: string): { state: string; startTime: string } | undefined {
  const text = readOr(`${procRoot}/${pid}/stat`, undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  const state = rest[0];
  const startTime = rest[19];
  return state && startTime ? { state, startTime } : undefined;
}

/** The identity of live process `pid`, or undefined. */
export function processIdentity(pid: number, procRoot = "/proc"): ProcessIdentity | undefined {
  const s = readStat(pid, procRoot);
  return s && s.state !== "Z" && s.state !== "X" ? { pid, startTime: s.startTime } : undefined;
}

/** Whether the process `id` names still runs (same pid, same start time, not a zombie). */
export function isAlive(id: ProcessIdentity, procRoot = "/proc"): boolean {
  const s = readStat(id.pid, procRoot);
  return !!s && s.state !== "Z" && s.state !== "X" && s.startTime === id.startTime;
}
