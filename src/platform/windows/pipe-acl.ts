/**
 * Locks a named pipe this process listens on down to the DACL an SDDL string gives. Bun's
 * server creates the pipe with the default security descriptor (full control for
 * LocalSystem, Administrators and the creator owner, read for Everyone and Anonymous,
 * https://learn.microsoft.com/en-us/windows/win32/ipc/named-pipe-security-and-access-rights)
 * and takes no descriptor of ours, so skiff opens its own pipe with WRITE_DAC and replaces
 * the DACL with SetSecurityInfo, protected so nothing is inherited.
 */
import { SyscallError } from "../../errors.ts";
import type { Callable } from "./ffi-types.ts";
import type { KERNEL32 } from "./kernel32.ts";
import { outPointer, wstr } from "./marshal.ts";
import type { ADVAPI32 } from "./os-facts.ts";
import { describeWin32Error } from "./win32-error.ts";

/** Full control for SYSTEM and the built-in Administrators, nobody else; protected from inheritance. */
export const PIPE_SDDL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";

const READ_CONTROL = 0x00020000;
const WRITE_DAC = 0x00040000;
const OPEN_EXISTING = 3;
const SDDL_REVISION_1 = 1;
const SE_KERNEL_OBJECT = 6;
const DACL_SECURITY_INFORMATION = 0x4;
const PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;

type Libs = {
  kernel32: Pick<Callable<typeof KERNEL32>, "CreateFileW" | "CloseHandle" | "LocalFree" | "GetLastError">;
  advapi32: Pick<Callable<typeof ADVAPI32>, "ConvertStringSecurityDescriptorToSecurityDescriptorW" | "GetSecurityDescriptorDacl" | "SetSecurityInfo">;
};

function fail(call: string, error: number, path: string): never {
  const { code, detail } = describeWin32Error(error);
  throw new SyscallError(call, error, code, path, detail);
}

export function restrictPipeDacl(libs: Libs, path: string, sddl: string): void {
  const { kernel32: k32, advapi32: adv } = libs;
  const sd = outPointer();
  if (adv.ConvertStringSecurityDescriptorToSecurityDescriptorW(wstr(sddl), SDDL_REVISION_1, sd.buf, null) === 0) {
    fail("ConvertStringSecurityDescriptorToSecurityDescriptorW", k32.GetLastError(), path);
  }
  try {
    const present = new Int32Array(1);
    const defaulted = new Int32Array(1);
    const dacl = outPointer();
    if (adv.GetSecurityDescriptorDacl(sd.value, present, dacl.buf, defaulted) === 0) fail("GetSecurityDescriptorDacl", k32.GetLastError(), path);
    const raw = k32.CreateFileW(wstr(path), READ_CONTROL | WRITE_DAC, 0, null, OPEN_EXISTING, 0, null);
    const handle = raw === null ? 0n : BigInt(raw);
    if (handle === 0n || handle === INVALID_HANDLE_VALUE) fail("CreateFileW", k32.GetLastError(), path);
    try {
      const rc = adv.SetSecurityInfo(handle, SE_KERNEL_OBJECT, (DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION) >>> 0, null, null, dacl.value, null);
      if (rc !== 0) fail("SetSecurityInfo", rc, path);
    } finally {
      k32.CloseHandle(handle);
    }
  } finally {
    k32.LocalFree(sd.value);
  }
}
