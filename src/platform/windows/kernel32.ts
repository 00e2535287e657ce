/**
 * kernel32.dll symbols, loaded on first use. Importing this module does not load anything,
 * so it compiles and imports on Linux too (the unit tests rely on that).
 */
import { dlopen } from "bun:ffi";
import { SyscallError } from "../../errors.ts";
import type { Callable } from "./ffi-types.ts";
import { describeWin32Error } from "./win32-error.ts";

export { wstr } from "./marshal.ts";

export const KERNEL32 = {
  GetLastError: { args: [], returns: "u32" },
  // BOOL GetDiskFreeSpaceExW(LPCWSTR dir, PULARGE_INTEGER availToCaller, PULARGE_INTEGER total, PULARGE_INTEGER free)
  GetDiskFreeSpaceExW: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // HLOCAL LocalFree(HLOCAL mem): frees the result documents HCS hands back
  LocalFree: { args: ["ptr"], returns: "ptr" },
  // BOOL CloseHandle(HANDLE)
  CloseHandle: { args: ["ptr"], returns: "i32" },
  // BOOL PeekNamedPipe(HANDLE, LPVOID buf, DWORD size, LPDWORD read, LPDWORD totalAvail, LPDWORD leftThisMessage)
  PeekNamedPipe: { args: ["ptr", "ptr", "u32", "ptr", "ptr", "ptr"], returns: "i32" },
  // BOOL ReadFile(HANDLE, LPVOID buf, DWORD toRead, LPDWORD read, LPOVERLAPPED)
  ReadFile: { args: ["ptr", "ptr", "u32", "ptr", "ptr"], returns: "i32" },
  // HANDLE CreateFileW(LPCWSTR name, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES, DWORD disposition, DWORD flags, HANDLE template)
  CreateFileW: { args: ["ptr", "u32", "u32", "ptr", "u32", "u32", "ptr"], returns: "ptr" },
} as const;

export type Kernel32Symbols = Callable<typeof KERNEL32>;

/** Returns a loader that dlopens kernel32.dll the first time it is called. */
export function lazyKernel32(): () => Kernel32Symbols {
  let symbols: Kernel32Symbols | undefined;
  return () => (symbols ??= dlopen("kernel32.dll", KERNEL32).symbols);
}

/**
 * Throws a `SyscallError` for a failed BOOL call. GetLastError is read straight after the
 * call, before other JS runs, since the runtime's own Win32 calls could overwrite it.
 */
export function checkBool(k32: Pick<Kernel32Symbols, "GetLastError">, ok: number, call: string, path?: string): void {
  if (ok !== 0) return;
  const error = k32.GetLastError();
  const { code, detail } = describeWin32Error(error);
  throw new SyscallError(call, error, code, path, detail);
}
