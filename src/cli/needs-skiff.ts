import { Code, ConnectError } from "@connectrpc/connect";

/**
 * skiff.v1.Images calls answer Unimplemented on other runtimes (containerd, CRI-O), and
 * on a skiff too old to have them; say which verb needs skiff instead of a bare code.
 */
export function needsSkiff(verb: string, err: unknown): unknown {
  const ce = ConnectError.from(err);
  if (ce.code !== Code.Unimplemented) return err;
  return new Error(`${verb} needs a skiff endpoint: ${ce.message}`, { cause: err });
}
