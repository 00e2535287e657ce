/**
 * First start on a node with an empty CNI conf dir: skiff writes its default conflist
 * there (bridge + host-local + portmap, no masquerade) and reports the network ready.
 * No pod runs here, so no bridge is made.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Daemon, startDaemon } from "../harness.ts";

let d: Daemon;
let confDir: string;
beforeAll(async () => {
  confDir = fs.mkdtempSync("/tmp/skiff-cni-default-");
  d = await startDaemon({ extraConfig: `\n[cni]\nconf_dir = "${confDir}"\nwrite_default = true\ndefault_subnet = "10.201.0.0/16"\n` });
});
afterAll(async () => {
  await d?.stop();
  if (d) fs.rmSync(d.dir, { recursive: true, force: true });
  fs.rmSync(confDir, { recursive: true, force: true });
});

test("an empty conf dir gets the default conflist and the network is ready", async () => {
  const files = fs.readdirSync(confDir).filter((f) => f.endsWith(".conflist"));
  expect(files.length).toBe(1);
  const conf = JSON.parse(fs.readFileSync(path.join(confDir, files[0]!), "utf8"));
  const types = conf.plugins.map((p: any) => p.type);
  expect(types).toContain("bridge");
  expect(types).toContain("portmap");
  const bridge = conf.plugins.find((p: any) => p.type === "bridge");
  expect(bridge.ipMasq).toBe(false);
  expect(bridge.ipam.type).toBe("host-local");
  expect(JSON.stringify(bridge.ipam)).toContain("10.201.0.0/16");
  const s = await d.runtime.call<any>("Status", {});
  expect(s.status.conditions.find((c: any) => c.type === "NetworkReady").status).toBe(true);
});
