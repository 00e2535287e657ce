/**
 * Win32 error codes (GetLastError) → the errno-style names the rest of skiff maps to gRPC
 * codes, following libuv's choices (https://github.com/libuv/libuv/blob/v1.x/src/win/error.c)
 * so a missing path reads "ENOENT" on both OSes. Pure data: no FFI here.
 */
const CODES: ReadonlyMap<number, [win32: string, code: string]> = new Map([
  [2, ["ERROR_FILE_NOT_FOUND", "ENOENT"]],
  [3, ["ERROR_PATH_NOT_FOUND", "ENOENT"]],
  [5, ["ERROR_ACCESS_DENIED", "EACCES"]],
  [15, ["ERROR_INVALID_DRIVE", "ENOENT"]],
  [21, ["ERROR_NOT_READY", "EAGAIN"]],
  [32, ["ERROR_SHARING_VIOLATION", "EBUSY"]],
  [50, ["ERROR_NOT_SUPPORTED", "ENOTSUP"]],
  [80, ["ERROR_FILE_EXISTS", "EEXIST"]],
  [87, ["ERROR_INVALID_PARAMETER", "EINVAL"]],
  [123, ["ERROR_INVALID_NAME", "ENOENT"]],
  [161, ["ERROR_BAD_PATHNAME", "ENOENT"]],
  [183, ["ERROR_ALREADY_EXISTS", "EEXIST"]],
  [267, ["ERROR_DIRECTORY", "ENOTDIR"]],
]);

/** `{ code: "ENOENT", detail: "win32 error 2 ERROR_FILE_NOT_FOUND" }` for 2. */
export function describeWin32Error(error: number): { code: string; detail: string } {
  const known = CODES.get(error);
  return known
    ? { code: known[1], detail: `win32 error ${error} ${known[0]}` }
    : { code: "EUNKNOWN", detail: `win32 error ${error}` };
}
