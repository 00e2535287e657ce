/**
 * Flags and plumbing shared by the pod and container verbs (runp, create, start, ps...).
 * They take the endpoint as the image verbs do (`--endpoint`, $SKIFF_ENDPOINT) and also
 * as crictl spells it, `-r`/`--runtime-endpoint`, so crictl command lines carry over.
 */
import { describeError } from "../errors.ts";
import { clientArgs, clientFrom } from "./client-args.ts";
import type { CriClient } from "./cri-client.ts";

const { output, ...connection } = clientArgs;

/** Endpoint and per-call timeout, without an output format (verbs that print ids only). */
export const podConnectionArgs = {
  ...connection,
  endpoint: { ...connection.endpoint, alias: ["r", "runtime-endpoint"] },
};

/** Endpoint, timeout and `-o json|yaml|table`. */
export const podClientArgs = { ...podConnectionArgs, output };

type ConnectionValues = { endpoint?: string; timeout?: string };

/** Opens a client, runs `fn`, and always closes the connection so the process can exit. */
export async function withClient<T>(args: ConnectionValues, fn: (client: CriClient) => Promise<T>): Promise<T> {
  const client = clientFrom(args);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/**
 * Runs `fn` for every id, as crictl does for `stop a b c`: a failure is reported on
 * stderr and the others still run; the command then fails as a whole. With one id the
 * error is thrown as it is.
 */
export async function forEachId(ids: readonly string[], what: string, fn: (id: string) => Promise<void>): Promise<void> {
  if (ids.length === 1) return fn(ids[0] as string);
  let failed = 0;
  for (const id of ids) {
    try {
      await fn(id);
    } catch (err) {
      failed++;
      console.error(`skiff: ${describeError(err)}`);
    }
  }
  if (failed > 0) throw new Error(`${failed} of ${ids.length} ${what} failed`);
}
