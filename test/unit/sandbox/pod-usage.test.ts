import { describe, expect, test } from "bun:test";
import { parseNetDev } from "../../../src/sandbox/pod-usage.ts";
import { sumCgroups } from "../../../src/cri/sum-cgroups.ts";

describe("parseNetDev", () => {
  test("reads bytes, packets, errors and drops of each interface but lo", () => {
    const text = [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0",
      "  eth0:    2164      24    1    5    0     0          0         0     1040      12    3    7    0     0       0          0",
      "",
    ].join("\n");
    expect(parseNetDev(text)).toEqual([
      { name: "eth0", rxBytes: 2164n, rxPackets: 24n, rxErrors: 1n, rxDropped: 5n, txBytes: 1040n, txPackets: 12n, txErrors: 3n, txDropped: 7n },
    ]);
  });
});

describe("sumCgroups", () => {
  test("adds what each cgroup has and leaves out what none has", () => {
    const s = sumCgroups([
      { cpuNs: 10n, memory: { usage: 100n, workingSet: 80n, rss: 50n }, processes: 1 },
      undefined,
      { cpuNs: 5n, memory: { usage: 20n, workingSet: 20n }, processes: 2 },
    ]);
    expect(s).toEqual({ cpuNs: 15n, memory: { usage: 120n, workingSet: 100n, rss: 50n, pageFaults: undefined, majorPageFaults: undefined }, processes: 3 });
  });

  test("no cgroups at all give no figures", () => {
    expect(sumCgroups([undefined, undefined])).toBeUndefined();
  });
});
