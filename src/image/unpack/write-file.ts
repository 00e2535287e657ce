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

/** Batch buffers not in use; a worker unpacks one file at a time, so this stays at one or two. */
const freeBatches: Uint8Array[] = [];

/** Writes `body` to a new file at `path` (mode 0600 until attributes are applied); returns the bytes written. */
export async function writeBody(path: string, body: AsyncIterable<Uint8Array>): Promise<number> {
  const fd = openSync(path, CREATE_FLAGS, 0o600);
  // Small chunks are gathered in a buffer kept from file to file: the reader may use its
  // buffers again once we return, and copying into fresh arrays per chunk left a layer's
  // worth of garbage behind.
  const batch = freeBatches.pop() ?? new Uint8Array(BATCH);
  let total = 0;
  let pending = 0;
  const flush = () => {
    if (pending === 0) return;
    writeAll(fd, batch.subarray(0, pending));
    pending = 0;
  };
  try {
    for await (const chunk of body) {
      total += chunk.length;
      if (pending + chunk.length > BATCH) flush();
      if (chunk.length >= BATCH) {
        writeAll(fd, chunk);
        continue;
      }
      batch.set(chunk, pending);
      pending += chunk.length;
    }
    flush();
  } finally {
    closeSync(fd);
    freeBatches.push(batch);
  }
  return total;
}
