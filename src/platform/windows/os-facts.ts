/**
 * The Windows version, read the way containerd and hcsshim read it: RtlGetVersion for
 * major.minor.build (GetVersionEx lies to programs without a manifest), and the update
 * build revision from `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\UBR`.
 */
import type { Callable } from "./ffi-types.ts";
import { wstr } from "./marshal.ts";

export const NTDLL = {
  // NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW)
  RtlGetVersion: { args: ["ptr"], returns: "i32" },
} as const;

export const ADVAPI32 = {
  // LSTATUS RegGetValueW(HKEY, LPCWSTR subKey, LPCWSTR value, DWORD flags, LPDWORD type, PVOID data, LPDWORD size)
  RegGetValueW: { args: ["ptr", "ptr", "ptr", "u32", "ptr", "ptr", "ptr"], returns: "i32" },
  // BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR sddl, DWORD revision, PSECURITY_DESCRIPTOR*, PULONG size)
  ConvertStringSecurityDescriptorToSecurityDescriptorW: { args: ["ptr", "u32", "ptr", "ptr"], returns: "i32" },
  // BOOL GetSecurityDescriptorDacl(PSECURITY_DESCRIPTOR, LPBOOL present, PACL* dacl, LPBOOL defaulted)
  GetSecurityDescriptorDacl: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // DWORD SetSecurityInfo(HANDLE, SE_OBJECT_TYPE, SECURITY_INFORMATION, PSID owner, PSID group, PACL dacl, PACL sacl)
  SetSecurityInfo: { args: ["ptr", "u32", "u32", "ptr", "ptr", "ptr", "ptr"], returns: "u32" },
} as const;

/** HKEY_LOCAL_MACHINE: (HKEY)(ULONG_PTR)(LONG)0x80000002, sign-extended to 64 bits. */
export const HKEY_LOCAL_MACHINE = 0xffffffff80000002n;
const RRF_RT_REG_DWORD = 0x10;
/** sizeof(RTL_OSVERSIONINFOW): five DWORDs and WCHAR szCSDVersion[128]. */
const OSVERSIONINFOW_SIZE = 276;

/** `major.minor.build.revision`, e.g. `10.0.20348.2340` (revision 0 when the registry has none). */
export function readOsVersion(ntdll: Callable<typeof NTDLL>, advapi32: Pick<Callable<typeof ADVAPI32>, "RegGetValueW">): string {
  const info = Buffer.alloc(OSVERSIONINFOW_SIZE);
  info.writeUInt32LE(OSVERSIONINFOW_SIZE, 0);
  const status = ntdll.RtlGetVersion(info);
  if (status !== 0) throw new Error(`RtlGetVersion: ntstatus 0x${(status >>> 0).toString(16)}`);
  const [major, minor, build] = [info.readUInt32LE(4), info.readUInt32LE(8), info.readUInt32LE(12)];
  const ubr = new Uint32Array(1);
  const size = new Uint32Array([4]);
  const rc = advapi32.RegGetValueW(HKEY_LOCAL_MACHINE, wstr("SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"), wstr("UBR"), RRF_RT_REG_DWORD, null, ubr, size);
  return `${major}.${minor}.${build}.${rc === 0 ? (ubr[0] ?? 0) : 0}`;
}
