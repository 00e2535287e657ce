/**
 * HRESULTs of the HCS, layer and HNS calls turned into skiff errors that name the call.
 * Pure data and formatting: no FFI here, so the fake Windows host throws the very same
 * errors as the real one.
 *
 * HCS codes: https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcshresult
 * (facility 0x37; vmcompute also reports them with the severity bits 0xC0000000).
 */
import { SyscallError } from "../../errors.ts";
import { describeWin32Error } from "./win32-error.ts";

const HCS_CODES: ReadonlyMap<number, [name: string, code: string]> = new Map([
  [0x100, ["HCS_E_TERMINATED_DURING_START", "EIO"]],
  [0x101, ["HCS_E_IMAGE_MISMATCH", "EINVAL"]],
  [0x102, ["HCS_E_HYPERV_NOT_INSTALLED", "ENOTSUP"]],
  [0x105, ["HCS_E_INVALID_STATE", "EINVAL"]],
  [0x106, ["HCS_E_UNEXPECTED_EXIT", "EIO"]],
  [0x107, ["HCS_E_TERMINATED", "EIO"]],
  [0x108, ["HCS_E_CONNECT_FAILED", "EIO"]],
  [0x109, ["HCS_E_CONNECTION_TIMEOUT", "ETIMEDOUT"]],
  [0x10a, ["HCS_E_CONNECTION_CLOSED", "EIO"]],
  [0x10b, ["HCS_E_UNKNOWN_MESSAGE", "EINVAL"]],
  [0x10c, ["HCS_E_UNSUPPORTED_PROTOCOL_VERSION", "ENOTSUP"]],
  [0x10d, ["HCS_E_INVALID_JSON", "EINVAL"]],
  [0x10e, ["HCS_E_SYSTEM_NOT_FOUND", "ENOENT"]],
  [0x10f, ["HCS_E_SYSTEM_ALREADY_EXISTS", "EEXIST"]],
  [0x110, ["HCS_E_SYSTEM_ALREADY_STOPPED", "ESRCH"]],
  [0x111, ["HCS_E_PROTOCOL_ERROR", "EIO"]],
  [0x112, ["HCS_E_INVALID_LAYER", "EINVAL"]],
  [0x113, ["HCS_E_WINDOWS_INSIDER_REQUIRED", "ENOTSUP"]],
  [0x114, ["HCS_E_SERVICE_NOT_AVAILABLE", "EAGAIN"]],
  [0x115, ["HCS_E_OPERATION_NOT_STARTED", "EINVAL"]],
  [0x116, ["HCS_E_OPERATION_ALREADY_STARTED", "EINVAL"]],
  [0x117, ["HCS_E_OPERATION_PENDING", "EAGAIN"]],
  [0x118, ["HCS_E_OPERATION_TIMEOUT", "ETIMEDOUT"]],
  [0x11b, ["HCS_E_ACCESS_DENIED", "EACCES"]],
  [0x11c, ["HCS_E_GUEST_CRITICAL_ERROR", "EIO"]],
  [0x11d, ["HCS_E_PROCESS_INFO_NOT_AVAILABLE", "EAGAIN"]],
  [0x11e, ["HCS_E_SERVICE_DISCONNECT", "EIO"]],
  [0x11f, ["HCS_E_PROCESS_ALREADY_STOPPED", "ESRCH"]],
  [0x120, ["HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION", "ENOTSUP"]],
]);

const FACILITY_WIN32 = 7;
const FACILITY_HCS = 0x37;

/** The HRESULT as an unsigned 32-bit value. */
export const unsigned = (hr: number): number => hr >>> 0;

/** `0x8037010e`. */
export function hex(hr: number): string {
  return `0x${unsigned(hr).toString(16).padStart(8, "0")}`;
}

/** An HRESULT's symbolic name (when known) and the errno-style code skiff maps to gRPC. */
export function describeHresult(hr: number): { name?: string; code: string } {
  const u = unsigned(hr);
  const facility = (u >>> 16) & 0x1fff;
  if (facility === FACILITY_HCS) {
    const known = HCS_CODES.get(u & 0xffff);
    if (known) return { name: known[0], code: known[1] };
  }
  if (facility === FACILITY_WIN32) {
    const win32 = describeWin32Error(u & 0xffff);
    return { name: win32.detail.replace(/^win32 error \d+ ?/, "") || undefined, code: win32.code };
  }
  if (u === 0x80004001) return { name: "E_NOTIMPL", code: "ENOTSUP" };
  if (u === 0x80070057) return { name: "E_INVALIDARG", code: "EINVAL" };
  return { code: "EUNKNOWN" };
}

/** True for the two "system not found" forms (HRESULT and vmcompute's 0xC0370000 form). */
export function isNotFound(hr: number): boolean {
  return (unsigned(hr) & 0x1fffffff) === ((FACILITY_HCS << 16) | 0x10e) || unsigned(hr) === 0x80070002;
}

/** True when the system or process was already stopped (stopping it again is not an error). */
export function isAlreadyStopped(hr: number): boolean {
  const low = unsigned(hr) & 0x1fffffff;
  return low === ((FACILITY_HCS << 16) | 0x110) || low === ((FACILITY_HCS << 16) | 0x11f);
}

/**
 * The message of an HCS result document: `{"Error":..,"ErrorMessage":".."}` (and, on
 * newer builds, `ErrorEvents[].Message`). Anything else comes back as given, trimmed.
 */
export function resultMessage(doc: string | undefined): string | undefined {
  if (!doc) return undefined;
  try {
    const r = JSON.parse(doc) as { ErrorMessage?: unknown; Error?: unknown; ErrorEvents?: { Message?: unknown }[] };
    const events = (r.ErrorEvents ?? []).map((e) => e.Message).filter((m): m is string => typeof m === "string");
    // HCS puts the HRESULT in `Error` and the text in `ErrorMessage`; an HCN error record may carry the text in `Error`.
    const text = typeof r.ErrorMessage === "string" ? r.ErrorMessage : typeof r.Error === "string" ? r.Error : undefined;
    const parts = [text, ...events].filter(Boolean);
    return parts.length > 0 ? parts.join("; ") : undefined;
  } catch {
    return doc.trim().slice(0, 500) || undefined;
  }
}

/** A failed call, e.g. `HcsStartComputeSystem "3f2a": ENOENT (hresult 0x8037010e HCS_E_SYSTEM_NOT_FOUND: ...)`. */
export class HcsCallError extends SyscallError {
  constructor(
    call: string,
    readonly hresult: number,
    target?: string,
    message?: string,
  ) {
    const { name, code } = describeHresult(hresult);
    const detail = [`hresult ${hex(hresult)}`, name].filter(Boolean).join(" ") + (message ? `: ${message}` : "");
    super(call, unsigned(hresult), code, target, detail);
  }
}
