/**
 * Giving back the pages of skiff's own executable that start-up alone ran. Bun's code
 * is mapped from the binary, and the kernel maps 64 KiB around each page a fault
 * touches: by the time skiff serves, its text and read-only data hold 38–41 MiB of RSS,
 * much of it code that parsing the config, opening the store, recovering pods and
 * loading the CRI descriptors ran once. Unmapping those pages (`MADV_DONTNEED`) after
 * start-up leaves them in the page cache, shared and reclaimable; the code serving runs
 * faults back in, from the cache, on first use. Measured on this project's machine,
 * polled as a kubelet polls for 30 s: 56.2 MiB against 61.7 without.
 *
 * Only mappings of the executable that are read-only (`r--p`, `r-xp`) and hold no
 * private page (`Anonymous: 0 kB`: no relocation or breakpoint wrote to them) are
 * dropped: for those the page cache has every byte, so dropping loses nothing.
 */

/** One mapping to drop: [start, end) and what it held resident. */
export type CodeRange = { start: bigint; end: bigint; rssKiB: number };

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/;

/** The mappings of `exe` in a `/proc/<pid>/smaps` text that can be dropped safely. */
export function droppableCodeRanges(smaps: string, exe: string): CodeRange[] {
  const out: CodeRange[] = [];
  let current: (CodeRange & { anonKiB: number }) | undefined;
  const close = () => {
    if (current && current.anonKiB === 0) out.push({ start: current.start, end: current.end, rssKiB: current.rssKiB });
    current = undefined;
  };
  for (const line of smaps.split("\n")) {
    const h = HEADER.exec(line);
    if (h) {
      close();
      const [, start, end, perms, path] = h;
      if (path === exe && (perms === "r--p" || perms === "r-xp")) {
        current = { start: BigInt(`0x${start}`), end: BigInt(`0x${end}`), rssKiB: 0, anonKiB: -1 };
      }
      continue;
    }
    if (!current) continue;
    const field = /^(Rss|Anonymous):\s+(\d+) kB$/.exec(line);
    if (field?.[1] === "Rss") current.rssKiB = Number(field[2]);
    else if (field?.[1] === "Anonymous") current.anonKiB = Number(field[2]);
  }
  close();
  return out;
}
