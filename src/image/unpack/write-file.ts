/**
 * Streams a file body to a new file. The file must not exist: it is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, so even a symlink that appeared at the path (it cannot,
 * see safe-path.ts, but this is the last line) is refused instead of followed. Writes
 * are async so a large layer does not block the daemon's event loop.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Writes `body` to a new file at `path` (mode 0600 until attributes are applied); returns the bytes written. */
export async function writeBody(path: string, body: AsyncIterable<Uint8Array>): Promise<number> {
  const fh = await open(path, CREATE_FLAGS, 0o600);
  let total = 0;
  try {
    for await (const chunk of body) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
      total += chunk.length;
    }
  } finally {
    await fh.close();
  }
  return total;
}
