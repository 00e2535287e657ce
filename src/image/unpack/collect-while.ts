/**
 * Runs `work` while collecting garbage every `everyMs`, and stops collecting when it ends.
 *
 * An unpack makes garbage for every tar entry (headers, paths, stat results, promises),
 * and a Worker's heap left to JavaScriptCore's own pace grows to two or three times its
 * live size (3-4 MiB) before it collects. Measured on this 2-core VM with bench/pull.ts
 * (6 layers, ~16,000 files, two Workers), the daemon's peak RSS and pull time, each run
 * beside containerd's: no collections 106.6 MiB, 1.73 s; a full collection every 20 ms
 * 93.4-93.9 MiB, 1.76-1.93 s; every 30 ms 95.8 MiB, 1.77 s; every 50 ms 98.4 MiB, 1.80 s.
 * A collection of so small a heap takes a few milliseconds.
 */
export async function collectWhile<T>(work: () => Promise<T>, everyMs: number, collect: () => void = () => Bun.gc(true)): Promise<T> {
  const timer = setInterval(collect, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
