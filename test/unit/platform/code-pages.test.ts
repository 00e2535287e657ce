import { describe, expect, test } from "bun:test";
import { droppableCodeRanges } from "../../../src/platform/linux/code-pages.ts";

const EXE = "/usr/local/bin/skiff";

type Fields = { rss: number; anon?: number; swap?: number; flags?: string };

/** One smaps entry with the fields the parser reads (and some it does not). */
function entry(range: string, perms: string, path: string, f: Fields): string {
  return [
    `${range} ${perms} 00000000 fd:01 1234                       ${path}`,
    "Size:               1024 kB",
    `Rss:                ${f.rss} kB`,
    "Pss:                 100 kB",
    ...(f.anon === undefined ? [] : [`Anonymous:          ${f.anon} kB`]),
    ...(f.swap === undefined ? [] : [`Swap:               ${f.swap} kB`]),
    ...(f.flags === undefined ? [] : [`VmFlags: ${f.flags}`]),
  ].join("\n");
}
const CODE = { anon: 0, swap: 0, flags: "rd ex mr mw me" };
const DATA = { anon: 0, swap: 0, flags: "rd mr mw me" };

describe("droppableCodeRanges", () => {
  test("takes the executable's read-only and text mappings that were never writable and hold no private page", () => {
    const smaps = [
      entry("00200000-01a38000", "r--p", EXE, { rss: 5200, ...DATA }),
      entry("01a40000-06834000", "r-xp", EXE, { rss: 30500, ...CODE }),
      // RELRO, and JavaScriptCore's config pages: written, then made read-only.
      entry("06836000-0684a000", "r--p", EXE, { rss: 80, anon: 80, swap: 0, flags: "rd mr mw me ac" }),
      entry("0684a000-06852000", "r--p", EXE, { rss: 0, anon: 0, swap: 12, flags: "rd mr mw me ac" }),
      entry("06852000-06a3a000", "rw-p", EXE, { rss: 2300, anon: 1200, swap: 0, flags: "rd wr mr mw me ac" }),
      entry("7f0000000000-7f0000200000", "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", { rss: 1200, ...CODE }),
      entry("7f0000300000-7f0000400000", "rw-p", "", { rss: 900, anon: 900, swap: 0, flags: "rd wr mr mw me ac" }),
      entry("7f0000500000-7f0000600000", "r-xp", `${EXE} (deleted)`, { rss: 300, ...CODE }),
    ].join("\n");
    expect(droppableCodeRanges(smaps, EXE)).toEqual([
      { start: 0x200000n, end: 0x1a38000n, rssKiB: 5200 },
      { start: 0x1a40000n, end: 0x6834000n, rssKiB: 30500 },
    ]);
  });

  const cases: { desc: string; f: Fields }[] = [
    { desc: "private pages in memory", f: { rss: 12, anon: 4, swap: 0, flags: "rd mr mw me" } },
    { desc: "private pages swapped out", f: { rss: 0, anon: 0, swap: 12, flags: "rd mr mw me" } },
    { desc: "a mapping once writable (ac), even with nothing private now", f: { rss: 12, anon: 0, swap: 0, flags: "rd mr mw me ac" } },
    { desc: "no Anonymous line", f: { rss: 12, swap: 0, flags: "rd mr mw me" } },
    { desc: "no Swap line", f: { rss: 12, anon: 0, flags: "rd mr mw me" } },
    { desc: "no VmFlags line", f: { rss: 12, anon: 0, swap: 0 } },
  ];
  for (const c of cases) {
    test(`a mapping with ${c.desc} is left alone`, () => {
      expect(droppableCodeRanges(entry("00200000-01a38000", "r--p", EXE, c.f), EXE)).toEqual([]);
    });
  }

  test("a path with spaces is matched whole", () => {
    const exe = "/opt/my tools/skiff";
    expect(droppableCodeRanges(entry("00200000-00300000", "r-xp", exe, { rss: 12, ...CODE }), exe)).toEqual([{ start: 0x200000n, end: 0x300000n, rssKiB: 12 }]);
    expect(droppableCodeRanges(entry("00200000-00300000", "r-xp", exe, { rss: 12, ...CODE }), "/opt/my")).toEqual([]);
  });
});
