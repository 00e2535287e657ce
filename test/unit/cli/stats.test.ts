import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { ContainerStatsSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { cpuPercent } from "../../../src/cli/stats.ts";

const sample = (ns: bigint, at: bigint) => create(ContainerStatsSchema, { cpu: { timestamp: at, usageCoreNanoSeconds: { value: ns } } });

describe("cpuPercent", () => {
  const cases = [
    { desc: "half a core over a second is 50%", before: sample(1_000_000_000n, 10_000_000_000n), after: sample(1_500_000_000n, 11_000_000_000n), want: "50.00" },
    { desc: "two busy cores is 200%", before: sample(0n, 0n + 1n), after: sample(2_000_000_000n, 1_000_000_001n), want: "200.00" },
    { desc: "without a first sample there is no rate", before: undefined, after: sample(5n, 5n), want: "-" },
    { desc: "samples at the same instant give no rate", before: sample(1n, 7n), after: sample(2n, 7n), want: "-" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(cpuPercent(tc.before, tc.after)).toBe(tc.want));
});
