/**
 * Starting this process over: `execve` of `/proc/self/exe` with the arguments the process
 * was started with (read back from `/proc/self/cmdline`) and its environment plus some
 * variables. The pid, the open descriptors without close-on-exec (stdio) and the parent
 * stay; everything Bun set up is dropped and made again. For settings a runtime reads only
 * from its environment, once, at start.
 */
import * as fs from "node:fs";
import { ptr } from "bun:ffi";
import { SyscallError } from "../../errors.ts";
import { cstr, makeChecker, openLibc } from "./libc.ts";

/** A NULL-terminated `char *[]` over `strings`; the buffers must outlive the call, so they come back too. */
function pointerArray(strings: string[]): { array: BigUint64Array; keep: Buffer[] } {
  const keep = strings.map(cstr);
  const array = new BigUint64Array(keep.length + 1);
  keep.forEach((b, i) => (array[i] = BigInt(ptr(b))));
  return { array, keep };
}

/** The arguments this process was started with, argv[0] included. */
export function ownArguments(): string[] {
  const raw = fs.readFileSync("/proc/self/cmdline", "utf8");
  return (raw.endsWith("\0") ? raw.slice(0, -1) : raw).split("\0");
}

/**
 * Replaces this process with a new start of its own executable, arguments and
 * environment, with `extra` set in that environment. Returns only if `execve` failed,
 * with the error.
 */
export function execSelf(extra: Record<string, string>): SyscallError {
  const env = { ...process.env, ...extra };
  const argv = pointerArray(ownArguments());
  const envp = pointerArray(Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`])));
  const libc = openLibc();
  const exe = cstr("/proc/self/exe");
  try {
    makeChecker(libc)(libc.execve(exe, argv.array, envp.array), "execve", "/proc/self/exe");
  } catch (err) {
    if (err instanceof SyscallError) return err;
    throw err;
  }
  // execve returns only on failure; the checker threw for it.
  throw new Error("execve returned without failing");
}
