import { Code, RpcError } from "./rpc-error.ts";
import {
  AlreadyExistsError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  NotSupportedError,
  UnavailableError,
  causes,
  describeError,
} from "../errors.ts";
import { DigestMismatchError, RegistryAuthError } from "../image/registry/index.ts";
import { UnpackError, UnpackLimitError } from "../image/unpack/index.ts";

/** Domain error classes and the gRPC code each one means. Order matters: first match wins. */
const DOMAIN_CODES: ReadonlyArray<[abstract new (...a: never[]) => Error, Code]> = [
  // Image errors first: they are more specific than the generic classes below.
  [RegistryAuthError, Code.Unauthenticated],
  [DigestMismatchError, Code.DataLoss],
  [UnpackLimitError, Code.ResourceExhausted],
  [UnpackError, Code.InvalidArgument],
  [NotFoundError, Code.NotFound],
  [AlreadyExistsError, Code.AlreadyExists],
  [InvalidArgumentError, Code.InvalidArgument],
  [FailedPreconditionError, Code.FailedPrecondition],
  [NotSupportedError, Code.Unimplemented],
  [UnavailableError, Code.Unavailable],
  [DeadlineExceededError, Code.DeadlineExceeded],
];

/** errno names (from our SyscallError or Node's fs errors) and the code each one means. */
const ERRNO_CODES: Readonly<Record<string, Code>> = {
  ENOENT: Code.NotFound,
  EEXIST: Code.AlreadyExists,
  EPERM: Code.PermissionDenied,
  EACCES: Code.PermissionDenied,
  ENOSPC: Code.ResourceExhausted,
  EDQUOT: Code.ResourceExhausted,
  ETIMEDOUT: Code.DeadlineExceeded,
  ENOSYS: Code.Unimplemented,
  ENOTSUP: Code.Unimplemented,
  EOPNOTSUPP: Code.Unimplemented,
};

function codeOf(err: unknown): Code | undefined {
  if (RpcError.is(err)) return err.code;
  for (const [cls, code] of DOMAIN_CODES) if (err instanceof cls) return code;
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === "string" && errno in ERRNO_CODES) return ERRNO_CODES[errno];
  return undefined;
}

/**
 * Turns anything a handler threw into an RpcError, once, at the edge.
 * The first error in the cause chain that has a known meaning decides the code;
 * the message carries the whole chain so the caller sees the context we added.
 */
export function toRpcError(err: unknown): RpcError {
  let code: Code | undefined;
  for (const e of causes(err)) {
    code = codeOf(e);
    if (code !== undefined) break;
  }
  if (RpcError.is(err) && err.code === code) return RpcError.from(err);
  return new RpcError(describeError(err), code ?? Code.Internal, undefined, err);
}
