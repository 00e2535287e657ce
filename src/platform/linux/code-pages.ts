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
 * Only mappings of the executable that are read-only (`r--p`, `r-xp`), were never
 * writable (no `ac` in VmFlags: the kernel accounts a private mapping once it may be
 * written, and keeps that flag after `mprotect` makes it read-only, as JavaScriptCore
 * does with its config pages and the loader with RELRO) and hold no private page, in
 * memory or in swap (`Anonymous:` and `Swap:` both 0 kB) are dropped: for those the
 * page cache has every byte, so dropping loses nothing. Dropping a page that holds
 * private data would bring back the file's original bytes in its place.
 */

/** One mapping to drop: [start, end) and what it held resident. */
export type CodeRange = { start: bigint; end: bigint; rssKiB: number };

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/;

/** The mappings of `exe` in a `/proc/<pid>/smaps` text that can be dropped safely. */
export function droppableCodeRanges(smaps: string, exe: string): CodeRange[] {
  const out: CodeRange[] = [];
  let current: (CodeRange & { privateKiB: number; seen: Set<string>; everWritable: boolean }) | undefined;
  const close = () => {
    const c = current;
    if (c && c.privateKiB === 0 && !c.everWritable && ["Anonymous", "Swap", "VmFlags"].every((f) => c.seen.has(f))) {
      out.push({ start: c.start, end: c.end, rssKiB: c.rssKiB });
    }
    current = undefined;
  };
  for (const line of smaps.split("\n")) {
    const h = HEADER.exec(line);
    if (h) {
      close();
      const [, start, end, perms, path] = h;
      if (path === exe && (perms === "r--p" || perms === "r-xp")) {
        current = { start: BigInt(`0x${start}`), end: BigInt(`0x${end}`), rssKiB: 0, privateKiB: 0, seen: new Set(), everWritable: false };
      }
      continue;
    }
    if (!current) continue;
    const flags = /^VmFlags:(.*)$/.exec(line);
    if (flags) {
      current.seen.add("VmFlags");
      current.everWritable = flags[1]!.trim().split(/\s+/).includes("ac");
      continue;
    }
    const field = /^(Rss|Anonymous|Swap):\s+(\d+) kB$/.exec(line);
    if (!field) continue;
    current.seen.add(field[1]!);
    if (field[1] === "Rss") current.rssKiB = Number(field[2]);
    else current.privateKiB += Number(field[2]);
  }
  close();
  return out;
}
