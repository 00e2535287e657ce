/**
 * Regroups a byte stream into chunks of one size, so an archive goes over gRPC in
 * messages of a predictable size whatever the source reads in (a file gives 64 KiB
 * pieces, a pipe whatever the writer wrote).
 */

/** 1 MiB: large enough to keep per-message costs low, far below the 16 MiB limit. */
export const ARCHIVE_CHUNK_BYTES = 1024 * 1024;

/** Yields `size`-byte chunks (the last one may be shorter; none is empty). */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size = ARCHIVE_CHUNK_BYTES): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(size);
  let used = 0;
  for await (const piece of source) {
    let off = 0;
    while (off < piece.length) {
      const n = Math.min(size - used, piece.length - off);
      buf.set(piece.subarray(off, off + n), used);
      used += n;
      off += n;
      if (used === size) {
        yield buf;
        buf = new Uint8Array(size);
        used = 0;
      }
    }
  }
  if (used > 0) yield buf.subarray(0, used);
}
