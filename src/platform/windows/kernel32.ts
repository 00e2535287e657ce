/**
 * kernel32.dll symbols, loaded on first use. Importing this module does not load anything,
 * so it compiles and imports on Linux too (the unit tests rely on that).
 */
import { dlopen } from "bun:ffi";
import { SyscallError } from "../../errors.ts";
import { describeWin32Error } from "./win32-error.ts";

const SYMBOLS = {
  GetLastError: { args: [], returns: "u32" },
  // BOOL GetDiskFreeSpaceExW(LPCWSTR dir, PULARGE_INTEGER availToCaller, PULARGE_INTEGER total, PULARGE_INTEGER free)
  GetDiskFreeSpaceExW: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
} as const;

export type Kernel32Symbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

/** Returns a loader that dlopens kernel32.dll the first time it is called. */
export function lazyKernel32(): () => Kernel32Symbols {
  let symbols: Kernel32Symbols | undefined;
  return () => (symbols ??= dlopen("kernel32.dll", SYMBOLS).symbols);
}

/** A NUL-terminated UTF-16LE copy of `s`, to pass as `LPCWSTR`. */
export function wstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, "utf16le");
}

/**
 * Throws a `SyscallError` for a failed BOOL call. GetLastError is read straight after the
 * call, before other JS runs, since the runtime's own Win32 calls could overwrite it.
 */
export function checkBool(k32: Kernel32Symbols, ok: number, call: string, path?: string): void {
  if (ok !== 0) return;
  const error = k32.GetLastError();
  const { code, detail } = describeWin32Error(error);
  throw new SyscallError(call, error, code, path, detail);
}
