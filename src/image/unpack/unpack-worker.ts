/**
 * Worker entry: unpacks one layer blob off the daemon's main thread, so layers of a pull
 * unpack in parallel on several cores. It makes its own Platform (libc handles are per
 * thread) and answers with the result or a plain description of the error, which
 * worker-unpacker.ts turns back into the same error class.
 */
import { InvalidArgumentError, NotSupportedError } from "../../errors.ts";
import { createPlatform } from "../../platform/index.ts";
import { collectWhile } from "./collect-while.ts";
import { runUnpackJob } from "./run-job.ts";
import { UnpackError, UnpackLimitError } from "./errors.ts";
import type { UnpackFailure, UnpackJob, UnpackReply } from "./worker-protocol.ts";

function kindOf(err: unknown): UnpackFailure {
  if (err instanceof UnpackLimitError) return "limit";
  if (err instanceof UnpackError) return "unpack";
  if (err instanceof NotSupportedError) return "unsupported";
  if (err instanceof InvalidArgumentError) return "invalid";
  return "other";
}

declare const self: Worker;

const platform = createPlatform();
/** How often the worker collects its garbage while it unpacks (figures in collect-while.ts). */
const COLLECT_EVERY_MS = 30;

self.onmessage = async (e: MessageEvent<UnpackJob>) => {
  const job = e.data;
  let reply: UnpackReply;
  try {
    const result = await collectWhile(() => runUnpackJob(platform, job), COLLECT_EVERY_MS);
    reply = { ok: true, result };
  } catch (err) {
    const chain: string[] = [];
    for (let cur: unknown = err; cur; cur = cur instanceof Error ? cur.cause : undefined) {
      chain.push(cur instanceof Error ? cur.message : String(cur));
      if (chain.length > 8) break;
    }
    reply = { ok: false, kind: kindOf(err), message: chain.join(": ") };
  }
  postMessage(reply);
};
