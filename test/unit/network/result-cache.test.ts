import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CacheEntry, createResultCache } from "../../../src/network/result-cache.ts";

const root = mkdtempSync(join(tmpdir(), "skiff-cni-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const entry = (seq: number, networkName: string, ifName = "eth0"): CacheEntry => ({
  seq,
  containerId: "sb1",
  networkName,
  ifName,
  netnsPath: "/run/netns/sb1",
  cniArgs: "IgnoreUnknown=1",
  runtimeConfig: {},
  config: { cniVersion: "1.0.0", name: networkName, disableCheck: false, plugins: [{ type: "bridge" }], source: "x" },
  result: { cniVersion: "1.0.0", ips: [{ address: `10.0.${seq}.2/24` }] },
});

describe("result cache", () => {
  const cache = createResultCache(root);

  test("an entry written is read back and leaves no temp file", async () => {
    await cache.write(entry(1, "net-a"));
    expect(await cache.read("sb1", "net-a", "eth0")).toEqual(entry(1, "net-a"));
    expect(readdirSync(join(root, "sb1"))).toEqual(["net-a-eth0.json"]);
  });

  test("list returns entries in ADD order, not file-name order", async () => {
    await cache.write(entry(0, "zz-loopback", "lo"));
    await cache.write(entry(2, "aa-second", "eth1"));
    expect((await cache.list("sb1")).map((e) => e.networkName)).toEqual(["zz-loopback", "net-a", "aa-second"]);
  });

  test("unreadable files are skipped by list", async () => {
    writeFileSync(join(root, "sb1", "junk-eth9.json"), "{");
    expect(await cache.list("sb1")).toHaveLength(3);
    rmSync(join(root, "sb1", "junk-eth9.json"));
  });

  test("removing the last entry removes the container's directory", async () => {
    await cache.remove("sb1", "net-a", "eth0");
    await cache.remove("sb1", "zz-loopback", "lo");
    expect(existsSync(join(root, "sb1"))).toBe(true);
    await cache.remove("sb1", "aa-second", "eth1");
    expect(existsSync(join(root, "sb1"))).toBe(false);
  });

  test("reading, listing and removing an unknown container is fine", async () => {
    expect(await cache.read("nope", "n", "eth0")).toBeUndefined();
    expect(await cache.list("nope")).toEqual([]);
    await cache.remove("nope", "n", "eth0");
  });
});
