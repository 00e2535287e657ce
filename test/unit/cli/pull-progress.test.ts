import { describe, expect, test } from "bun:test";
import { type WirePullEvent, PullProgress, bytesPair, layerLine, progressBar } from "../../../src/cli/pull-progress.ts";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const M = `sha256:${"f".repeat(64)}`;
const ev = (e: Partial<WirePullEvent>): WirePullEvent => ({ kind: "", digest: "", received: 0n, total: 0n, cached: false, message: "", layers: [], ...e });
const resolved = ev({ kind: "resolved", digest: M, layers: [{ digest: A, size: 12_300_000n }, { digest: B, size: 500n }] });

describe("progressBar", () => {
  const cases = [
    { desc: "empty at zero", f: 0, want: "[>         ]" },
    { desc: "half way", f: 0.5, want: "[=====>    ]" },
    { desc: "full at one, without an arrow", f: 1, want: "[==========]" },
    { desc: "clamped above one", f: 3, want: "[==========]" },
    { desc: "NaN counts as zero", f: Number.NaN, want: "[>         ]" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(progressBar(tc.f, 10)).toBe(tc.want));
});

describe("bytesPair", () => {
  test("received over total", () => expect(bytesPair(3_200_000, 12_300_000)).toBe("3.2 MB / 12.3 MB"));
  test("received alone while the total is unknown", () => expect(bytesPair(1500, 0)).toBe("1.5 kB"));
});

describe("PullProgress log lines", () => {
  test("resolved names the manifest, layer count and size", () => {
    expect(new PullProgress().apply(resolved, 0)).toEqual(["resolved ffffffffffff: 2 layers, 12.3 MB"]);
  });

  test("download chunks are quiet until a layer has downloaded for a while, then once per interval", () => {
    const p = new PullProgress(5000);
    p.apply(resolved, 0);
    const lines: string[] = [];
    for (let t = 0; t <= 12_000; t += 100) lines.push(...p.apply(ev({ kind: "download", digest: A, received: BigInt(t * 1000), total: 12_300_000n }), t));
    expect(lines).toEqual(["aaaaaaaaaaaa downloading 5 MB / 12.3 MB", "aaaaaaaaaaaa downloading 10 MB / 12.3 MB"]);
  });

  test("each layer logs downloaded with its size, then unpacked", () => {
    const p = new PullProgress();
    p.apply(resolved, 0);
    expect(p.apply(ev({ kind: "downloaded", digest: A }), 1)).toEqual(["aaaaaaaaaaaa downloaded 12.3 MB"]);
    expect(p.apply(ev({ kind: "unpacked", digest: A }), 2)).toEqual(["aaaaaaaaaaaa unpacked"]);
  });

  test("a layer already present logs only that it is cached", () => {
    const p = new PullProgress();
    p.apply(resolved, 0);
    expect(p.apply(ev({ kind: "downloaded", digest: B, cached: true }), 1)).toEqual([]);
    expect(p.apply(ev({ kind: "unpacked", digest: B, cached: true }), 2)).toEqual(["bbbbbbbbbbbb cached"]);
    expect(p.layers.get(B)?.state).toBe("cached");
  });

  test("done records the id and failed the error; unknown kinds are ignored", () => {
    const p = new PullProgress();
    expect(p.apply(ev({ kind: "sparkle" }), 0)).toEqual([]);
    expect(p.finished).toBe(false);
    p.apply(ev({ kind: "done", message: "sha256:123" }), 0);
    expect(p.id).toBe("sha256:123");
    expect(p.finished).toBe(true);
    const q = new PullProgress();
    q.apply(ev({ kind: "failed", message: "boom" }), 0);
    expect(q.failure).toBe("boom");
  });

  test("a download event for a layer never resolved still shows up", () => {
    const p = new PullProgress();
    p.apply(ev({ kind: "download", digest: A, received: 10n, total: 100n }), 0);
    expect(p.layers.get(A)).toEqual({ digest: A, state: "downloading", received: 10, total: 100 });
  });
});

describe("PullProgress display", () => {
  test("one line per layer with digest, bar, bytes and state; a summary of layers done", () => {
    const p = new PullProgress();
    p.apply(resolved, 0);
    p.apply(ev({ kind: "download", digest: A, received: 6_150_000n, total: 12_300_000n }), 1);
    p.apply(ev({ kind: "downloaded", digest: B }), 1);
    p.apply(ev({ kind: "unpacked", digest: B }), 1);
    const lines = p.displayLines(10);
    expect(lines[0]).toBe(`aaaaaaaaaaaa  [=====>    ]  ${"6.15 MB / 12.3 MB".padStart(19)}  downloading`);
    expect(lines[1]).toBe(`bbbbbbbbbbbb  [==========]  ${"500 B / 500 B".padStart(19)}  unpacked`);
    expect(p.summary()).toBe("1/2 layers");
  });
  test("a waiting layer has an empty bar", () => {
    expect(layerLine({ digest: A, state: "waiting", received: 0, total: 0 }, 4)).toBe(`aaaaaaaaaaaa  [>   ]  ${"0 B".padStart(19)}  waiting`);
  });
  test("before anything is known the summary says resolving", () => expect(new PullProgress().summary()).toBe("resolving"));
});
