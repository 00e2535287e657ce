/** Reading response bodies with a size limit: a registry cannot make us buffer gigabytes. */

/**
 * Reads a whole body into memory, or returns undefined as soon as it grows past
 * `limit` (the rest is dropped).
 */
export async function readLimitedBytes(res: Response, limit: number): Promise<Uint8Array | undefined> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) return undefined;
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** The first `limit` bytes of a body as text (for error bodies). */
export async function readLimitedText(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limit));
}

/** Throws away a response body so the connection can be reused. */
export async function discardBody(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => {});
}
