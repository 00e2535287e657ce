import { describe, expect, test } from "bun:test";
import { humanSize } from "../../../src/cli/human-size.ts";

describe("humanSize", () => {
  const cases: { desc: string; bytes: number | bigint; space?: boolean; want: string }[] = [
    { desc: "zero bytes is 0B", bytes: 0, want: "0B" },
    { desc: "bytes under a kilobyte stay bytes", bytes: 999, want: "999B" },
    { desc: "units are decimal, as crictl's go-units", bytes: 1000, want: "1kB" },
    { desc: "three significant digits are kept", bytes: 1_234_567, want: "1.23MB" },
    { desc: "trailing zeros are dropped like Go's %g", bytes: 1_500_000, want: "1.5MB" },
    { desc: "a value that rounds to 1000 moves up a unit", bytes: 999_999, want: "1MB" },
    { desc: "bigint sizes from the proto are accepted", bytes: 4_865_000n, want: "4.87MB" },
    { desc: "gigabytes", bytes: 12_300_000_000, want: "12.3GB" },
    { desc: "progress lines put a space before the unit", bytes: 12_345_678, space: true, want: "12.3 MB" },
    { desc: "a negative count shows as zero", bytes: -5, want: "0B" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(humanSize(tc.bytes, { space: tc.space })).toBe(tc.want));
});
