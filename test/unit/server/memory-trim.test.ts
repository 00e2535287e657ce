import { describe, expect, test } from "bun:test";
import { createMemoryTrimmer } from "../../../src/server/memory-trim.ts";

const MiB = 2 ** 20;

/** A trimmer over a resident size and a clock the test moves. */
function harness(start: number) {
  const st = { rss: start * MiB, t: 0, shrinks: 0, lastCall: -1e9 };
  const trimmer = createMemoryTrimmer({
    intervalMs: 5_000,
    thresholdBytes: 4 * MiB,
    minGapMs: 30_000,
    idleMs: 3_000,
    lastActivity: () => st.lastCall,
    resident: () => st.rss,
    shrink: () => void st.shrinks++,
    now: () => st.t,
  });
  return { st, trimmer };
}

describe("memory trimmer", () => {
  test("without calls, does nothing while the resident size stays near where it settled", () => {
    const { st, trimmer } = harness(60);
    for (const rss of [61, 62, 63, 60, 63.9]) {
      st.rss = rss * MiB;
      st.t += 5_000;
      expect(trimmer.tick()).toBe(false);
    }
    expect(st.shrinks).toBe(0);
  });

  test("shrinks once it has grown by the threshold, then takes the level it falls to as the new base", () => {
    const { st, trimmer } = harness(60);
    st.rss = 70 * MiB;
    st.t = 5_000;
    expect(trimmer.tick()).toBe(true);
    // The next look re-measures: no shrink, whatever it reads.
    st.rss = 62 * MiB;
    st.t = 10_000;
    expect(trimmer.tick()).toBe(false);
    // 4 MiB over the new base, but within the minimum gap: wait.
    st.rss = 66.5 * MiB;
    st.t = 20_000;
    expect(trimmer.tick()).toBe(false);
    st.t = 40_000;
    expect(trimmer.tick()).toBe(true);
    expect(st.shrinks).toBe(2);
  });

  test("never shrinks while calls keep coming, and does once they stop", () => {
    const { st, trimmer } = harness(60);
    st.rss = 80 * MiB;
    for (let t = 5_000; t <= 60_000; t += 5_000) {
      st.t = t;
      st.lastCall = t - 1_000;
      expect(trimmer.tick()).toBe(false);
    }
    st.t = 65_000;
    expect(trimmer.tick()).toBe(true);
  });

  test("at rest after calls it shrinks once, however little it grew, then waits for more calls or growth", () => {
    const { st, trimmer } = harness(60);
    st.rss = 61 * MiB;
    st.t = 5_000;
    st.lastCall = 1_000;
    expect(trimmer.tick()).toBe(true);
    st.t = 10_000;
    expect(trimmer.tick()).toBe(false); // re-measures
    for (const t of [40_000, 80_000]) {
      st.t = t;
      expect(trimmer.tick()).toBe(false); // no call since, no growth
    }
    st.lastCall = 81_000;
    st.t = 85_000;
    expect(trimmer.tick()).toBe(true);
    expect(st.shrinks).toBe(2);
  });

  test("a level lower than the settled one becomes the base", () => {
    const { st, trimmer } = harness(60);
    st.rss = 50 * MiB;
    st.t = 5_000;
    expect(trimmer.tick()).toBe(false);
    st.rss = 54.5 * MiB;
    st.t = 10_000;
    expect(trimmer.tick()).toBe(true);
  });
});
