import { describe, expect, test } from "bun:test";
import { RUNC_ADVISORIES, isFixed, openAdvisories } from "../../../src/doctor/advisories.ts";
import { lowestFixingRelease } from "../../../src/doctor/runtime-checks.ts";
import { v } from "../../../src/doctor/version.ts";

const LEAKY_VESSELS = ["1.1.12"];
const ESCAPES_2025 = ["1.2.8", "1.3.3", "1.4.0-rc.3"];

describe("isFixed", () => {
  const cases: { desc: string; version: string; fixedIn: string[]; want: boolean }[] = [
    { desc: "a release below its line's fix is affected", version: "1.1.5", fixedIn: LEAKY_VESSELS, want: false },
    { desc: "the fixed release itself is fixed", version: "1.1.12", fixedIn: LEAKY_VESSELS, want: true },
    { desc: "a later line is fixed", version: "1.2.0", fixedIn: LEAKY_VESSELS, want: true },
    { desc: "an older line with no fix is affected", version: "1.0.3", fixedIn: LEAKY_VESSELS, want: false },
    { desc: "each line has its own fix: 1.2.7 is affected", version: "1.2.7", fixedIn: ESCAPES_2025, want: false },
    { desc: "each line has its own fix: 1.3.3 is fixed", version: "1.3.3", fixedIn: ESCAPES_2025, want: true },
    { desc: "a line that never got a fix is affected", version: "1.1.15", fixedIn: ESCAPES_2025, want: false },
    { desc: "an earlier release candidate is affected", version: "1.4.0-rc.2", fixedIn: ESCAPES_2025, want: false },
    { desc: "the final release after a fixed candidate is fixed", version: "1.4.0", fixedIn: ESCAPES_2025, want: true },
  ];
  for (const tc of cases) test(tc.desc, () => expect(isFixed(v(tc.version), tc.fixedIn)).toBe(tc.want));
});

describe("openAdvisories", () => {
  const cves = (list: { cves: string[] }[]) => list.flatMap((a) => a.cves);

  test("Debian 12's runc 1.1.5 is open to every runc advisory by version alone", () => {
    expect(cves(openAdvisories(RUNC_ADVISORIES, v("1.1.5")))).toEqual([
      "CVE-2024-21626",
      "CVE-2024-45310",
      "CVE-2025-31133",
      "CVE-2025-52565",
      "CVE-2025-52881",
      "CVE-2026-41579",
    ]);
  });

  test("a package changelog naming a CVE counts as a backported fix", () => {
    const changelog = "runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n  * CVE-2024-21626: several container breakouts\n";
    expect(cves(openAdvisories(RUNC_ADVISORIES, v("1.1.5"), changelog))).not.toContain("CVE-2024-21626");
  });

  test("an advisory with several CVEs needs all of them named", () => {
    const changelog = "  * CVE-2025-31133: masked paths\n  * CVE-2025-52565: /dev/console\n";
    expect(cves(openAdvisories(RUNC_ADVISORIES, v("1.2.5"), changelog))).toContain("CVE-2025-52881");
  });

  test("runc 1.3.6 has no open advisory", () => {
    expect(openAdvisories(RUNC_ADVISORIES, v("1.3.6"))).toEqual([]);
  });
});

describe("lowestFixingRelease", () => {
  test("from 1.1.5 the first release fixing everything is 1.3.6 (1.2 never got the 2026 fix)", () => {
    expect(lowestFixingRelease(v("1.1.5"), openAdvisories(RUNC_ADVISORIES, v("1.1.5")))).toBe("1.3.6");
  });

  test("from 1.4.0-rc.2 a fixed candidate counts as its final release", () => {
    const open = openAdvisories(RUNC_ADVISORIES, v("1.4.0-rc.2"));
    expect(lowestFixingRelease(v("1.4.0-rc.2"), open)).toBe("1.4.3");
  });
});
