/**
 * Streams a blob from one endpoint to a file: nothing is buffered in memory, the size is
 * bounded (by the declared length checked up front, or as bytes arrive when there is
 * none: a registry cannot fill the disk past the descriptor's size), and the digest is
 * checked at the end. On any failure the file is removed, so no half-written blob stays
 * behind.
 *
 * A connection that breaks mid-blob is resumed from the bytes already written with a
 * `Range` request; a registry that answers 200 instead of 206 sends the whole blob
 * again and we start over. A progress timeout cancels the fetch when no byte has
 * arrived for that long, with a DeadlineExceededError that names blob and registry.
 */
import { open, rm } from "node:fs/promises";
import { DeadlineExceededError, SkiffError, UnavailableError } from "../../errors.ts";
import type { Descriptor } from "../manifest.ts";
import type { RepositoryLocator } from "../reference.ts";
import { repositoryScope } from "./authorizer.ts";
import { discardBody } from "./body.ts";
import { hasherFor } from "./digest.ts";
import { DigestMismatchError } from "./registry-error.ts";
import { backoffDelay } from "./retry.ts";
import type { EndpointTransport } from "./transport.ts";

/** How often the native sink's progress is read from the file's size. */
const NATIVE_PROGRESS_POLL_MS = 50;
/** The buffer a blob written by the native sink is hashed through. */
const HASH_BUFFER_BYTES = 256 * 1024;

export type BlobFetchOptions = {
  signal?: AbortSignal;
  /** Cancel when no byte has arrived for this long. 0 or unset: no limit. */
  progressTimeoutMs?: number;
  /** Called after each chunk is written, with bytes so far and the expected total. */
  onProgress?: (received: number, total: number) => void;
};

/** Writes blob `desc` of `repo` to `path` (created or truncated), verified. */
export async function fetchBlobToFileFrom(
  transport: EndpointTransport,
  repo: RepositoryLocator,
  desc: Descriptor,
  path: string,
  opts: BlobFetchOptions = {},
): Promise<void> {
  const what = `pull blob ${desc.digest} of "${repo.registry}/${repo.repository}" from "${transport.endpoint.host}"`;
  let written = 0;

  // The watchdog: re-armed on every chunk; when it fires, every wait below is aborted.
  const stall = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
  const timeoutMs = opts.progressTimeoutMs ?? 0;
  let timer: Timer | undefined;
  const arm = () => {
    if (timeoutMs <= 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      stall.abort(
        new DeadlineExceededError(
          `${what}: no data received for ${timeoutMs / 1000}s (pull progress timeout), after ${written} of ${desc.size} bytes`,
        ),
      );
    }, timeoutMs);
  };

  const file = await open(path, "w+", 0o600);
  let done = false;
  let hasher = hasherFor(desc.digest);

  let reported = 0;
  const report = (n: number) => {
    if (n <= reported) return;
    reported = n;
    opts.onProgress?.(n, desc.size);
  };

  /** The body by a JS read loop, appended at `written`, hashed and size-checked as it comes. */
  const readIntoFile = async (res: Response) => {
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        if (written + value.byteLength > desc.size) {
          throw new DigestMismatchError(`${what}: registry sent more than the ${desc.size} bytes the descriptor says`);
        }
        hasher.update(value);
        await file.write(value, 0, value.byteLength, written);
        written += value.byteLength;
        arm();
        report(written);
      }
    } finally {
      // Drops whatever is left of a body we stopped reading, so the socket is freed.
      void reader.cancel().catch(() => {});
    }
  };

  /** The whole body to `path` by Bun's native sink; progress (and the watchdog) from the file's size. */
  const streamToFile = async (res: Response) => {
    let live = true;
    const poll = setInterval(() => {
      file.stat().then(
        (st) => {
          if (!live || st.size <= written) return;
          written = st.size;
          arm();
          report(written);
        },
        () => {},
      );
    }, NATIVE_PROGRESS_POLL_MS);
    try {
      await Bun.write(path, res);
    } finally {
      live = false;
      clearInterval(poll);
    }
  };

  /** Hashes the first `length` bytes of the file into `h`, through one reused buffer. */
  const hashFile = async (h: ReturnType<typeof hasherFor>, length: number) => {
    const buf = new Uint8Array(Math.min(HASH_BUFFER_BYTES, Math.max(1, length)));
    for (let pos = 0; pos < length; ) {
      const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, length - pos), pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  };
  try {
    let breaks = 0;
    let lastBreak: unknown;
    arm();
    for (;;) {
      const headers: Record<string, string> = { "Accept-Encoding": "identity" };
      if (written > 0) headers.Range = `bytes=${written}-`;
      let res: Response;
      try {
        res = await transport.request({
          path: `/v2/${repo.repository}/blobs/${desc.digest}`,
          headers,
          raw: true,
          scope: repositoryScope(repo.repository),
          signal,
        });
      } catch (err) {
        throw signal.aborted ? signal.reason : err;
      }
      if (written > 0 && res.status === 206 && rangeStart(res) === written) {
        // Resumed where we broke off.
      } else if (res.status === 200) {
        if (written > 0) {
          // No range support: the whole blob again, from scratch.
          await file.truncate(0);
          hasher = hasherFor(desc.digest);
          written = 0;
        }
      } else if (res.status === 206 || res.status === 416) {
        // A range we did not ask for; start over without one.
        await discardBody(res);
        await file.truncate(0);
        hasher = hasherFor(desc.digest);
        written = 0;
        if (++breaks >= transport.deps.retry.attempts) throw new UnavailableError(`${what}: bad range responses`);
        continue;
      } else {
        throw await transport.fail(res, what);
      }

      // A declared length that cannot be right fails now, not after the download.
      const declared = res.headers.get("content-length");
      if (declared !== null && Number(declared) !== desc.size - written) {
        await discardBody(res);
        throw new DigestMismatchError(
          `${what}: registry sends ${Number(declared) + written} bytes, the descriptor says ${desc.size}`,
        );
      }
      let broken = false;
      // With a known length and nothing written yet, the body goes to the file by Bun's
      // native sink, which reads the socket only as fast as the disk takes it; a JS read
      // loop makes Bun buffer whatever arrives ahead of it (measured: three 40 MiB layers
      // from a registry on loopback grew RSS by 126 MiB that way, by 6 MiB this way). The
      // declared length, checked above, bounds what it writes. Resumes use the read loop,
      // and so does Windows, where a second open of a file we hold open is not a given.
      const native = written === 0 && declared !== null && process.platform !== "win32";
      try {
        if (native) await streamToFile(res);
        else await readIntoFile(res);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (err instanceof SkiffError) throw err;
        broken = true;
        lastBreak = err;
      }
      if (native) {
        // Whatever reached the file counts, hashed from the file, whether the body ended or broke.
        written = (await file.stat()).size;
        hasher = hasherFor(desc.digest);
        await hashFile(hasher, written);
        report(written);
      }
      if (written === desc.size) break;
      if (!broken) lastBreak = new Error(`connection closed after ${written} of ${desc.size} bytes`);
      // Broken, or closed early: resume after a pause, a bounded number of times.
      if (++breaks >= transport.deps.retry.attempts) {
        throw new UnavailableError(`${what}: connection broke ${breaks} times, last after ${written} bytes`, {
          cause: lastBreak,
        });
      }
      try {
        await transport.deps.sleep(backoffDelay(transport.deps.retry, breaks - 1), signal);
      } catch (err) {
        throw signal.aborted ? signal.reason : err;
      }
    }
    const actual = hasher.digest();
    if (actual !== desc.digest) throw new DigestMismatchError(`${what}: content has digest ${actual}`);
    await file.sync();
    done = true;
  } finally {
    clearTimeout(timer);
    await file.close();
    if (!done) await rm(path, { force: true });
  }
}

/** The first byte of a 206's `Content-Range: bytes <start>-<end>/<total>`, or -1. */
function rangeStart(res: Response): number {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(res.headers.get("content-range")?.trim() ?? "");
  return m ? Number(m[1]) : -1;
}
