import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { confDirSignature, loadNetworkConfigs } from "../../../src/network/load-network-configs.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function confDir(files: Record<string, unknown>): string {
  const d = mkdtempSync(join(tmpdir(), "skiff-cni-conf-"));
  dirs.push(d);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(d, name), typeof body === "string" ? body : JSON.stringify(body));
  return d;
}
const list = (name: string) => ({ cniVersion: "1.0.0", name, plugins: [{ type: "bridge" }] });

describe("loadNetworkConfigs", () => {
  test("networks come in file-name order, whatever their network names", async () => {
    const d = confDir({ "20-b.conflist": list("aaa"), "10-a.conflist": list("zzz"), "15-c.conf": { cniVersion: "0.4.0", name: "mid", type: "ptp" } });
    const got = await loadNetworkConfigs(d, 0);
    expect(got.networks.map((n) => n.name)).toEqual(["zzz", "mid", "aaa"]);
    expect(got.skipped).toEqual([]);
  });

  test("invalid files are skipped with a reason and the rest still load", async () => {
    const d = confDir({ "00-broken.conflist": "{", "05-path.conflist": { cniVersion: "1.0.0", name: "p", plugins: [{ type: "/bin/x" }] }, "10-ok.conflist": list("ok"), "README.md": "not a config" });
    const got = await loadNetworkConfigs(d, 0);
    expect(got.networks.map((n) => n.name)).toEqual(["ok"]);
    expect(got.skipped).toHaveLength(2);
    expect(got.skipped[0]).toContain("00-broken.conflist");
    expect(got.skipped[1]).toContain("must be a plain name");
  });

  test("maxConfNum keeps the first networks only and skipped files do not count", async () => {
    const d = confDir({ "00-bad.conflist": "[]", "10-a.conflist": list("a"), "20-b.conflist": list("b"), "30-c.conflist": list("c") });
    expect((await loadNetworkConfigs(d, 1)).networks.map((n) => n.name)).toEqual(["a"]);
    expect((await loadNetworkConfigs(d, 2)).networks.map((n) => n.name)).toEqual(["a", "b"]);
    expect((await loadNetworkConfigs(d, 0)).networks.map((n) => n.name)).toEqual(["a", "b", "c"]);
  });

  test("a second file defining the same network name is skipped", async () => {
    const d = confDir({ "10-a.conflist": list("same"), "20-a.conflist": list("same") });
    const got = await loadNetworkConfigs(d, 0);
    expect(got.networks).toHaveLength(1);
    expect(got.networks[0]!.source).toBe("10-a.conflist");
    expect(got.skipped[0]).toContain('network "same" is already defined in 10-a.conflist');
  });

  test("a missing conf dir gives no networks and no error", async () => {
    expect(await loadNetworkConfigs("/nonexistent/skiff/net.d", 0)).toEqual({ networks: [], skipped: [] });
  });
});

describe("confDirSignature", () => {
  test("changes when a config file is added and not for other files", async () => {
    const d = confDir({ "10-a.conflist": list("a") });
    const s1 = await confDirSignature(d);
    writeFileSync(join(d, "notes.txt"), "x");
    expect(await confDirSignature(d)).toBe(s1);
    writeFileSync(join(d, "20-b.conflist"), JSON.stringify(list("b")));
    expect(await confDirSignature(d)).not.toBe(s1);
  });
});
