/**
 * What the error stream carries at the end of an exec or attach: from v4 on, a Kubernetes
 * `metav1.Status` as JSON (`{"metadata":{},"status":"Success"}` for exit 0); a non-zero
 * exit is `Failure` with reason `NonZeroExitCode` and the code as the message of the
 * `ExitCode` cause, which client-go parses (k8s.io/client-go/tools/remotecommand/v4.go).
 * Before v4 the stream carried only the message of a failure, as plain text.
 */
export type Status = {
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
  code?: number;
};

export const NON_ZERO_EXIT_CODE = "NonZeroExitCode";
export const EXIT_CODE_CAUSE = "ExitCode";

export function successStatus(): Status {
  return { metadata: {}, status: "Success" };
}

/** The status of a command that exited with `code` (non-zero), worded as containerd words it. */
export function exitCodeStatus(code: number, cmd: readonly string[]): Status {
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(" ")}], exit code ${code}`,
    reason: NON_ZERO_EXIT_CODE,
    details: { causes: [{ reason: EXIT_CODE_CAUSE, message: String(code) }] },
  };
}

/** A failure of skiff's own (the process could not start, the container is gone...). */
export function internalErrorStatus(message: string): Status {
  return { metadata: {}, status: "Failure", message: `Internal error occurred: ${message}`, reason: "InternalError", code: 500 };
}

/** The error stream's bytes for `status` under a protocol version; v1-v3 write nothing on success. */
export function encodeStatus(status: Status, version: number): Uint8Array | undefined {
  if (version >= 4) return Buffer.from(JSON.stringify(status));
  return status.status === "Success" ? undefined : Buffer.from(status.message ?? "");
}

/**
 * Reads the exit code back out of an error stream's bytes (the client side). Resolves
 * 0 for success; throws with the server's message for a failure that is no exit code.
 */
export function exitCodeOf(bytes: Uint8Array, version: number): number {
  const text = Buffer.from(bytes).toString("utf8");
  if (text === "") return 0;
  if (version < 4) throw new Error(`error executing remote command: ${text}`);
  let st: Partial<Status>;
  try {
    st = JSON.parse(text) as Partial<Status>;
  } catch {
    throw new Error(`error stream protocol error: ${JSON.stringify(text.slice(0, 200))} is not a status`);
  }
  if (st.status === "Success") return 0;
  if (st.status === "Failure" && st.reason === NON_ZERO_EXIT_CODE) {
    const cause = st.details?.causes?.find((c) => c.reason === EXIT_CODE_CAUSE);
    const code = Number(cause?.message);
    if (!cause || !Number.isInteger(code) || code < 0 || code > 255) throw new Error(`error stream protocol error: bad exit code cause in ${text.slice(0, 200)}`);
    return code;
  }
  throw new Error(st.message || `error stream protocol error: unknown status ${text.slice(0, 200)}`);
}
