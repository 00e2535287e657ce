import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseProcCgroup, readCgroupStats } from "../../../src/container/cgroup-stats.ts";
import { LayerUsageCache, dirUsageAsync } from "../../../src/container/container-usage.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-cgstats-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes `files` (path → text) under `root`. */
function tree(root: string, files: Record<string, string>): string {
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  return root;
}

describe("parseProcCgroup", () => {
  test("splits v1 hierarchies by controller list and finds the v2 path", () => {
    const r = parseProcCgroup("12:memory:/skiff/c1\n4:cpu,cpuacct:/skiff/c1\n1:name=systemd:/skiff/c1\n0::/skiff/c1\n");
    expect(r.unified).toBe("/skiff/c1");
    expect([...r.v1]).toEqual([["memory", "/skiff/c1"], ["cpu,cpuacct", "/skiff/c1"], ["name=systemd", "/skiff/c1"]]);
  });
});

describe("readCgroupStats", () => {
  test("on a hybrid host memory and CPU come from the v1 hierarchies", () => {
    const root = tree(path.join(tmp, "v1"), {
      "proc/42/cgroup": "9:memory:/pods/c1\n3:cpu,cpuacct:/pods/c1\n0::/pods/c1\n",
      "cg/memory/pods/c1/cgroup.procs": "42\n",
      "cg/memory/pods/c1/memory.usage_in_bytes": "50000000\n",
      "cg/memory/pods/c1/memory.limit_in_bytes": "9223372036854771712\n",
      "cg/memory/pods/c1/memory.stat": "cache 100\nrss 7\ntotal_rss 30000000\ntotal_inactive_file 8000000\ntotal_pgfault 1234\ntotal_pgmajfault 5\n",
      // cpuacct is reachable through its own name, as Debian mounts it
      "cg/cpuacct/pods/c1/cgroup.procs": "42\n",
      "cg/cpuacct/pods/c1/cpuacct.usage": "987654321\n",
      "cg/unified/pods/c1/cgroup.procs": "42\n",
    });
    const s = readCgroupStats(42, { proc: path.join(root, "proc"), cgroup: path.join(root, "cg") });
    expect(s).toEqual({
      cpuNs: 987654321n,
      processes: 1,
      memory: { usage: 50000000n, workingSet: 42000000n, rss: 30000000n, pageFaults: 1234n, majorPageFaults: 5n, limit: undefined },
    });
  });

  test("on a v2 host they come from the unified hierarchy, with its limit", () => {
    const root = tree(path.join(tmp, "v2"), {
      "proc/7/cgroup": "0::/kubepods/pod1/c2\n",
      "cg/cgroup.controllers": "cpu memory pids\n",
      "cg/kubepods/pod1/c2/cgroup.procs": "7\n9\n",
      "cg/kubepods/pod1/c2/memory.current": "2000\n",
      "cg/kubepods/pod1/c2/memory.max": "4096\n",
      "cg/kubepods/pod1/c2/memory.stat": "anon 1500\nfile 500\ninactive_file 3000\npgfault 9\npgmajfault 1\n",
      "cg/kubepods/pod1/c2/cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
    });
    const s = readCgroupStats(7, { proc: path.join(root, "proc"), cgroup: path.join(root, "cg") });
    // inactive_file above usage clamps the working set at 0 rather than wrapping
    expect(s).toEqual({ cpuNs: 1500000n, processes: 2, memory: { usage: 2000n, workingSet: 0n, rss: 1500n, pageFaults: 9n, majorPageFaults: 1n, limit: 4096n } });
  });

  test("a process that is gone has no stats", () => {
    expect(readCgroupStats(999999, { proc: path.join(tmp, "none"), cgroup: path.join(tmp, "none") })).toBeUndefined();
  });

  test("a v2 memory.max of \"max\" is no limit", () => {
    const root = tree(path.join(tmp, "v2max"), {
      "proc/8/cgroup": "0::/c\n",
      "cg/cgroup.controllers": "memory\n",
      "cg/c/memory.current": "10\n",
      "cg/c/memory.max": "max\n",
    });
    expect(readCgroupStats(8, { proc: path.join(root, "proc"), cgroup: path.join(root, "cg") })?.memory?.limit).toBeUndefined();
  });
});

describe("dirUsageAsync", () => {
  test("counts allocated blocks and inodes, a hard link once", async () => {
    const d = path.join(tmp, "layer");
    fs.mkdirSync(path.join(d, "sub"), { recursive: true });
    fs.writeFileSync(path.join(d, "sub", "f"), Buffer.alloc(100_000, 1));
    fs.linkSync(path.join(d, "sub", "f"), path.join(d, "hard"));
    fs.symlinkSync("sub/f", path.join(d, "link"));
    const u = await dirUsageAsync(d);
    expect(u.inodes).toBe(4n); // the dir, sub, f (twice linked), link
    expect(u.bytes).toBeGreaterThanOrEqual(100_000n);
    expect(u.bytes).toBeLessThan(200_000n);
  });

  test("a missing dir uses nothing", async () => {
    expect(await dirUsageAsync(path.join(tmp, "missing"))).toEqual({ bytes: 0n, inodes: 0n });
  });
});

describe("LayerUsageCache", () => {
  test("walks again only after the time to live, answering with the last figure meanwhile; calls during a walk share it", async () => {
    const d = path.join(tmp, "cached");
    fs.mkdirSync(d, { recursive: true });
    let t = 0;
    const cache = new LayerUsageCache(1000, () => t);
    const [a, b] = await Promise.all([cache.get("c1", d), cache.get("c1", d)]);
    expect(a).toBe(b);
    fs.writeFileSync(path.join(d, "new"), "x");
    t = 500;
    expect((await cache.get("c1", d)).inodes).toBe(1n); // still the first walk
    t = 1500;
    // Past the time to live: the old figure at once, the new walk behind it.
    expect((await cache.get("c1", d)).inodes).toBe(1n);
    for (let i = 0; i < 100 && (await cache.get("c1", d)).inodes !== 2n; i++) await Bun.sleep(10);
    expect((await cache.get("c1", d)).inodes).toBe(2n);
    cache.drop("c1");
    fs.writeFileSync(path.join(d, "newer"), "x");
    expect((await cache.get("c1", d)).inodes).toBe(3n);
  });
});
