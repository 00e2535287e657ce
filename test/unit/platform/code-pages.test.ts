import { describe, expect, test } from "bun:test";
import { droppableCodeRanges } from "../../../src/platform/linux/code-pages.ts";

const EXE = "/usr/local/bin/skiff";

/** One smaps entry with the fields the parser reads (and one it does not). */
function entry(range: string, perms: string, path: string, rss: number, anon: number | undefined): string {
  return [
    `${range} ${perms} 00000000 fd:01 1234                       ${path}`,
    "Size:               1024 kB",
    `Rss:                ${rss} kB`,
    "Pss:                 100 kB",
    ...(anon === undefined ? [] : [`Anonymous:          ${anon} kB`]),
    "VmFlags: rd mr mw me",
  ].join("\n");
}

describe("droppableCodeRanges", () => {
  test("takes the executable's read-only and text mappings that hold no private page", () => {
    const smaps = [
      entry("00200000-01a38000", "r--p", EXE, 5200, 0),
      entry("01a40000-06834000", "r-xp", EXE, 30500, 0),
      entry("06836000-0684a000", "r--p", EXE, 80, 80), // RELRO: relocated, so private
      entry("0684a000-06a3a000", "rw-p", EXE, 2300, 1200),
      entry("7f0000000000-7f0000200000", "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 1200, 0),
      entry("7f0000300000-7f0000400000", "rw-p", "", 900, 900),
      entry("7f0000500000-7f0000600000", "r-xp", `${EXE} (deleted)`, 300, 0),
    ].join("\n");
    expect(droppableCodeRanges(smaps, EXE)).toEqual([
      { start: 0x200000n, end: 0x1a38000n, rssKiB: 5200 },
      { start: 0x1a40000n, end: 0x6834000n, rssKiB: 30500 },
    ]);
  });

  test("a mapping whose Anonymous line is missing is left alone", () => {
    expect(droppableCodeRanges(entry("00200000-01a38000", "r--p", EXE, 5200, undefined), EXE)).toEqual([]);
  });

  test("a path with spaces is matched whole", () => {
    const exe = "/opt/my tools/skiff";
    expect(droppableCodeRanges(entry("00200000-00300000", "r-xp", exe, 12, 0), exe)).toEqual([{ start: 0x200000n, end: 0x300000n, rssKiB: 12 }]);
    expect(droppableCodeRanges(entry("00200000-00300000", "r-xp", exe, 12, 0), "/opt/my")).toEqual([]);
  });
});
