/**
 * Streams a file body to a new file. The file must not exist: it is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, so even a symlink that appeared at the path (it cannot,
 * see safe-path.ts, but this is the last line) is refused instead of followed.
 *
 * The file calls are synchronous on purpose. Each async fs call is a round trip through
 * Bun's thread pool, and a layer holds thousands of small files: measured on a 16k-file
 * image, the hand-offs cost more than the writes (bench/pull.ts). The body is still
 * awaited chunk by chunk, so the event loop keeps its turns between chunks; chunks are
 * gathered to `BATCH` bytes before a write to keep the system calls few.
 */
import { closeSync, constants, openSync, writeSync } from "node:fs";

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const BATCH = 256 * 1024;

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Writes `body` to a new file at `path` (mode 0600 until attributes are applied); returns the bytes written. */
export async function writeBody(path: string, body: AsyncIterable<Uint8Array>): Promise<number> {
  const fd = openSync(path, CREATE_FLAGS, 0o600);
  let total = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    writeAll(fd, pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const chunk of body) {
      total += chunk.length;
      if (chunk.length >= BATCH) {
        flush();
        writeAll(fd, chunk);
        continue;
      }
      // The reader may reuse its buffer after we return: keep a copy.
      pending.push(chunk.slice());
      pendingBytes += chunk.length;
      if (pendingBytes >= BATCH) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return total;
}
