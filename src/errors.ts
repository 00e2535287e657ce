/**
 * Domain errors. Internal code throws these (or wraps another error with `{ cause }`);
 * the server translates them to gRPC codes exactly once, in `toRpcError`
 * (src/server/error-status.ts). Messages are lowercase, without a trailing period,
 * and quote ids: `container "3f2a" not found`.
 */

/** Base class so callers can tell skiff's own errors from anything else. */
export class SkiffError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The named object does not exist. Maps to `NotFound`. */
export class NotFoundError extends SkiffError {}

/** The object exists already (e.g. a reserved name). Maps to `AlreadyExists`. */
export class AlreadyExistsError extends SkiffError {}

/** The request is malformed; the message names the offending field. Maps to `InvalidArgument`. */
export class InvalidArgumentError extends SkiffError {
  constructor(
    /** Dotted path of the field at fault, e.g. `config.metadata.name`. */
    readonly field: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${reason}`, options);
  }
}

/** The object is in a state that does not allow the operation. Maps to `FailedPrecondition`. */
export class FailedPreconditionError extends SkiffError {}

/** The feature is not built (yet) or not available on this OS. Maps to `Unimplemented`. */
export class NotSupportedError extends SkiffError {}

/** The daemon is not ready to serve (starting or shutting down). Maps to `Unavailable`. */
export class UnavailableError extends SkiffError {}

/** A deadline ran out (exec timeout, pull progress timeout). Maps to `DeadlineExceeded`. */
export class DeadlineExceededError extends SkiffError {}

/**
 * A failed system call, with the call and the path it touched, so a message reads
 * `mount "/run/skiff/ns/net/abc": EPERM (operation not permitted)`.
 * `code` is the errno name so the same mapping works for Node's fs errors.
 */
export class SyscallError extends SkiffError {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly code: string,
    readonly path?: string,
    detail?: string,
  ) {
    const where = path === undefined ? "" : ` "${path}"`;
    super(`${syscall}${where}: ${code}${detail ? ` (${detail})` : ""}`);
  }
}

/** Walks an error's `cause` chain, starting with the error itself. */
export function* causes(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    yield cur;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
}

/** The full message of an error and its causes, joined by ": ". */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (const e of causes(err)) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg && !parts.some((p) => p.includes(msg))) parts.push(msg);
  }
  return parts.join(": ");
}
