/**
 * Linux errno numbers → names. The numbers are the asm-generic ones, shared by x86_64
 * and aarch64 (https://github.com/torvalds/linux/blob/master/include/uapi/asm-generic/errno.h).
 * Names match what Node/Bun put in `err.code` for the same number (95 is "ENOTSUP", as
 * `util.getSystemErrorName(-95)` says), so one errno → gRPC code mapping serves both
 * our `SyscallError`s and `node:fs` errors. Pure data: no FFI here.
 */

// Index = errno; "" marks numbers Linux does not use (41, 58).
const NAMES = (
  " EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD" + // 0-10
  " EAGAIN ENOMEM EACCES EFAULT ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR" + // 11-20
  " EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS" + // 21-30
  " EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP" + // 31-40
  "  ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI" + // 41-50
  " EL2HLT EBADE EBADR EXFULL ENOANO EBADRQC EBADSLT  EBFONT ENOSTR" + // 51-60
  " ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM" + // 61-70
  " EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD" + // 71-80
  " ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE" + // 81-90
  " EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT ENOTSUP EPFNOSUPPORT EAFNOSUPPORT" + // 91-97
  " EADDRINUSE EADDRNOTAVAIL ENETDOWN" + // 98-100
  " ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN" + // 101-108
  " ETOOMANYREFS ETIMEDOUT" + // 109-110
  " ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL" + // 111-119
  " EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY EKEYEXPIRED" + // 120-127
  " EKEYREVOKED EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL EHWPOISON" // 128-133
).split(" ");

const NUMBERS = new Map<string, number>(
  NAMES.flatMap((name, n): [string, number][] => (name ? [[name, n]] : [])),
);
// Aliases that name the same number.
NUMBERS.set("EWOULDBLOCK", 11).set("EDEADLOCK", 35).set("EOPNOTSUPP", 95);

/** The name of a Linux errno ("ENOENT" for 2), or "EUNKNOWN" for a number Linux lacks. */
export function errnoName(errno: number): string {
  return (errno > 0 && NAMES[errno]) || "EUNKNOWN";
}

/** The number of a Linux errno name (aliases such as "EOPNOTSUPP" included), if known. */
export function errnoNumber(name: string): number | undefined {
  return NUMBERS.get(name);
}
