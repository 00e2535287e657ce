/**
 * The error a call ends with, as the gRPC server sends it: a status code (gRPC's numbers)
 * and a message, plus metadata for the trailers. The same shape as connect's ConnectError
 * (whose package the daemon no longer loads: its index brings protobuf-es's reflection
 * and well-known types with it), and `RpcError.from` takes a ConnectError as well.
 */

/** gRPC status codes. */
export enum Code {
  Canceled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

/** An error that is a gRPC status, with its metadata. */
export class RpcError extends Error {
  override name = "RpcError";
  readonly metadata: Headers;

  constructor(
    readonly rawMessage: string,
    readonly code: Code = Code.Unknown,
    metadata?: Headers | Record<string, string>,
    cause?: unknown,
  ) {
    super(`[${(Code[code] ?? "unknown").replace(/[A-Z]/g, (c, i) => (i > 0 ? "_" : "") + c.toLowerCase())}] ${rawMessage}`, { cause });
    this.metadata = new Headers(metadata);
  }

  /** Whether `err` carries a gRPC status: an RpcError, or connect's ConnectError (thrown by code written for connect). */
  static is(err: unknown): err is { code: Code; rawMessage: string } {
    const like = err as { code?: unknown; rawMessage?: unknown } | null;
    return err instanceof RpcError || (typeof like === "object" && like !== null && typeof like.code === "number" && typeof like.rawMessage === "string");
  }

  /** `err` as an RpcError: itself, a ConnectError's code, message and metadata, or Unknown with its message. */
  static from(err: unknown): RpcError {
    if (err instanceof RpcError) return err;
    if (RpcError.is(err)) {
      const metadata = (err as { metadata?: unknown }).metadata;
      return new RpcError(err.rawMessage, err.code, metadata instanceof Headers ? metadata : undefined, err);
    }
    return new RpcError(err instanceof Error ? err.message : String(err), Code.Unknown, undefined, err);
  }
}
