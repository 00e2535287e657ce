import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { detectCgroupLayout, detectHostFacts } from "../../../src/runtime/host-facts.ts";

const line = (mountPoint: string, fstype: string) =>
  `30 23 0:26 / ${mountPoint} rw,nosuid shared:9 - ${fstype} ${fstype} rw`;

describe("detectCgroupLayout", () => {
  const cases = [
    { desc: "a lone cgroup2 at /sys/fs/cgroup is v2", mounts: [line("/sys/fs/cgroup", "cgroup2")], want: "v2" },
    { desc: "v1 controllers alone are v1", mounts: [line("/sys/fs/cgroup/cpu", "cgroup"), line("/sys/fs/cgroup/memory", "cgroup")], want: "v1" },
    { desc: "v1 controllers with a unified mount are hybrid", mounts: [line("/sys/fs/cgroup/unified", "cgroup2"), line("/sys/fs/cgroup/cpu", "cgroup")], want: "hybrid" },
    { desc: "no cgroup mounts at all is none", mounts: [line("/", "ext4")], want: "none" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(detectCgroupLayout(tc.mounts.join("\n")) as string).toBe(tc.want));
});

describe("detectHostFacts", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-facts-"));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, "proc/self"), { recursive: true });
  const setCaps = (capEff: string) => fs.writeFileSync(path.join(root, "proc/self/status"), `Name:\tskiff\nCapEff:\t${capEff}\n`);
  const setSystemd = (on: boolean) =>
    on ? fs.mkdirSync(path.join(root, "run/systemd/system"), { recursive: true }) : fs.rmSync(path.join(root, "run"), { recursive: true, force: true });

  const cases = [
    { desc: "auto picks cgroupfs when systemd does not run the host", systemd: false, caps: "000001ffffffffff", input: { cgroupDriver: "auto", restrictOomScoreAdj: "auto" }, want: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: true } },
    { desc: "auto picks systemd when systemd runs the host", systemd: true, caps: "000001ffffffffff", input: { cgroupDriver: "auto", restrictOomScoreAdj: "auto" }, want: { cgroupDriver: "systemd", canLowerOomScoreAdj: true } },
    { desc: "an explicit driver wins over detection", systemd: true, caps: "000001ffffffffff", input: { cgroupDriver: "cgroupfs", restrictOomScoreAdj: "auto" }, want: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: true } },
    { desc: "without CAP_SYS_RESOURCE oom_score_adj cannot be lowered", systemd: false, caps: "000001fffeffffff", input: { cgroupDriver: "auto", restrictOomScoreAdj: "auto" }, want: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: false } },
    { desc: "restrict_oom_score_adj = true forces the clamp", systemd: false, caps: "000001ffffffffff", input: { cgroupDriver: "auto", restrictOomScoreAdj: true }, want: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: false } },
    { desc: "restrict_oom_score_adj = false turns the clamp off", systemd: false, caps: "0", input: { cgroupDriver: "auto", restrictOomScoreAdj: false }, want: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: true } },
  ] as const;
  for (const tc of cases) {
    test(tc.desc, () => {
      setSystemd(tc.systemd);
      setCaps(tc.caps);
      expect(detectHostFacts({ ...tc.input, root })).toMatchObject(tc.want);
    });
  }
});
