import { describe, expect, test } from "bun:test";
import { CpuRates } from "../../../src/cri/sandbox-stats-windows.ts";

describe("CpuRates (usage_nano_cores of the Windows stats, as containerd works it out)", () => {
  const cases = [
    { desc: "the first sample has no rate", samples: [[1_000_000_000n, 5n]], want: [0n] },
    { desc: "half a core over a second is 500M nanocores", samples: [[1_000_000_000n, 0n], [2_000_000_000n, 500_000_000n]], want: [0n, 500_000_000n] },
    { desc: "two cores over half a second is 2G nanocores", samples: [[0n, 0n], [500_000_000n, 1_000_000_000n]], want: [0n, 2_000_000_000n] },
    { desc: "a sample at the same time gives 0, not a division by zero", samples: [[7n, 1n], [7n, 9n]], want: [0n, 0n] },
    { desc: "a counter that went back (a restarted container) gives 0", samples: [[1n, 100n], [2n, 50n]], want: [0n, 0n] },
  ] as const;
  for (const tc of cases) {
    test(tc.desc, () => {
      const r = new CpuRates();
      expect(tc.samples.map(([at, ns]) => r.rate("c", at, ns))).toEqual([...tc.want]);
    });
  }

  test("ids are apart, and forgotten once no longer listed", () => {
    const r = new CpuRates();
    r.rate("a", 0n, 0n);
    r.rate("b", 0n, 0n);
    r.keepOnly(new Set(["a"]));
    expect([r.rate("a", 1_000_000_000n, 1_000_000_000n), r.rate("b", 1_000_000_000n, 1_000_000_000n)]).toEqual([1_000_000_000n, 0n]);
  });
});
