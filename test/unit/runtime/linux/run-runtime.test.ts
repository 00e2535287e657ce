import { describe, expect, test } from "bun:test";
import { runtimeArgv } from "../../../../src/runtime/linux/run-runtime.ts";

describe("runtimeArgv", () => {
  const cases = [
    { desc: "global flags go before the verb", sys: false, want: ["/usr/sbin/runc", "--root", "/r", "state", "c1"] },
    { desc: "systemd cgroups add --systemd-cgroup before the verb", sys: true, want: ["/usr/sbin/runc", "--root", "/r", "--systemd-cgroup", "state", "c1"] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(runtimeArgv({ runtimePath: "/usr/sbin/runc", runtimeRoot: "/r", systemdCgroup: tc.sys }, ["state", "c1"])).toEqual(tc.want));
  }
});
