import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FailedPreconditionError, NotFoundError } from "../../../src/errors.ts";
import { type CniNetworkOptions, createCniNetwork, ifNameFor, type PodNetworkRequest } from "../../../src/network/cni-network.ts";
import { CniPluginError } from "../../../src/network/plugin-exec.ts";
import { createResultCache } from "../../../src/network/result-cache.ts";
import type { CniResult } from "../../../src/network/cni-result.ts";
import { type FakeBin, ipResult, makeFakeBin, writeConflist } from "./fake-plugins.ts";

const req: PodNetworkRequest = {
  sandboxId: "sb1",
  netnsPath: "/proc/self/ns/net",
  podName: "web",
  podNamespace: "prod",
  podUid: "uid-1",
  portMappings: [
    { hostPort: 8080, containerPort: 80, protocol: "tcp", hostIp: "" },
    { hostPort: 0, containerPort: 81, protocol: "tcp", hostIp: "" },
  ],
};
const bridgeResult = ipResult("1.0.0", "fd00::2/64", "10.88.0.2/16");
const mainList = { cniVersion: "1.0.0", name: "skiff", plugins: [{ type: "bridge", bridge: "b0" }, { type: "portmap", capabilities: { portMappings: true } }] };

let fb: FakeBin;
let opts: CniNetworkOptions;
const warnings: string[] = [];

beforeEach(() => {
  fb = makeFakeBin();
  warnings.length = 0;
  fb.plugin("bridge", { result: bridgeResult });
  // portmap passes its prevResult through, as the real one does; here a fixed copy of it.
  fb.plugin("portmap", { result: bridgeResult });
  opts = {
    confDir: fb.confDir,
    binDirs: ["/nonexistent-bin", fb.binDir],
    maxConfNum: 1,
    cacheDir: fb.cacheDir,
    defaultSubnet: "10.88.0.0/16",
    writeDefault: false,
    log: { info() {}, warn: (...a) => warnings.push(a.join(" ")), debug() {} },
  };
});
afterEach(() => fb.cleanup());

async function ready(o: Partial<CniNetworkOptions> = {}) {
  const n = createCniNetwork({ ...opts, ...o });
  await n.init();
  return n;
}

describe("init and status", () => {
  test("an empty conf dir without writeDefault is not ready, with the kubelet's reason", async () => {
    const n = await ready();
    expect(n.status()).toEqual({ ready: false, reason: "NetworkPluginNotReady", message: `cni config load failed: no network config found in ${fb.confDir}` });
  });

  test("writeDefault writes 10-skiff.conflist with the subnet, then is ready", async () => {
    const n = await ready({ writeDefault: true, defaultSubnet: "10.77.0.0/16" });
    const conf = JSON.parse(readFileSync(join(fb.confDir, "10-skiff.conflist"), "utf8"));
    expect(conf.name).toBe("skiff");
    expect(conf.cniVersion).toBe("1.0.0");
    expect(conf.plugins[0]).toMatchObject({ type: "bridge", bridge: "skiff0", isGateway: true, ipMasq: false, hairpinMode: true });
    expect(conf.plugins[0].ipam).toEqual({ type: "host-local", ranges: [[{ subnet: "10.77.0.0/16" }]], routes: [{ dst: "0.0.0.0/0" }] });
    expect(conf.plugins[1]).toEqual({ type: "portmap", capabilities: { portMappings: true }, snat: true });
    expect(readdirSync(fb.confDir)).toEqual(["10-skiff.conflist"]);
    expect(n.status().ready).toBe(true);
  });

  test("writeDefault leaves a conf dir that already has a config alone", async () => {
    writeConflist(fb.confDir, "50-mine.conflist", mainList);
    await ready({ writeDefault: true });
    expect(readdirSync(fb.confDir)).toEqual(["50-mine.conflist"]);
  });

  test("a missing plugin binary makes the network not ready and names the plugin", async () => {
    writeConflist(fb.confDir, "10-a.conflist", { ...mainList, plugins: [{ type: "bridge" }, { type: "firewall-x" }] });
    const n = await ready();
    expect(n.status().ready).toBe(false);
    expect(n.status().message).toContain('cni plugin "firewall-x" of network "skiff" not found');
    await expect(n.setUp(req)).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  test("only invalid files mean not ready, with why in the message and a warning", async () => {
    writeConflist(fb.confDir, "10-a.conflist", { name: "a", plugins: [] });
    const n = await ready();
    expect(n.status().ready).toBe(false);
    expect(n.status().message).toContain("10-a.conflist");
    expect(warnings.some((w) => w.includes("skipping cni config 10-a.conflist"))).toBe(true);
  });

  test("reload picks up a config written after init", async () => {
    const n = await ready();
    expect(n.status().ready).toBe(false);
    writeConflist(fb.confDir, "10-a.conflist", mainList);
    await n.reload();
    expect(n.status().ready).toBe(true);
  });
});

describe("setUp", () => {
  beforeEach(() => writeConflist(fb.confDir, "10-skiff.conflist", mainList));

  test("runs the chain, with the CNI_* environment each expects, and no loopback plugin", async () => {
    const n = await ready();
    await n.setUp(req);
    const calls = fb.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type} ${c.env.CNI_IFNAME}`)).toEqual(["ADD bridge eth0", "ADD portmap eth0"]);
    for (const c of calls) {
      expect(c.env.CNI_CONTAINERID).toBe("sb1");
      expect(c.env.CNI_NETNS).toBe("/proc/self/ns/net");
      expect(c.env.CNI_ARGS).toBe("IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sb1;K8S_POD_UID=uid-1");
      expect(c.env.CNI_PATH).toBe(`/nonexistent-bin:${fb.binDir}`);
    }
  });

  test("the first plugin gets no prevResult and the next gets its result", async () => {
    const n = await ready();
    await n.setUp(req);
    const [bridge, portmap] = fb.calls();
    expect(bridge!.stdin).toEqual({ type: "bridge", bridge: "b0", name: "skiff", cniVersion: "1.0.0" });
    expect(portmap!.stdin.prevResult).toEqual(bridgeResult);
  });

  test("only the plugin declaring portMappings gets them, without hostPort 0 entries", async () => {
    const n = await ready();
    await n.setUp({ ...req, dns: { servers: ["1.1.1.1"], searches: [], options: [] } });
    const [bridge, portmap] = fb.calls();
    expect(bridge!.stdin.runtimeConfig).toBeUndefined();
    expect(portmap!.stdin.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
  });

  test("returns IPv4 before IPv6 and the raw result, and caches it for cachedIps", async () => {
    const n = await ready();
    const r = await n.setUp(req);
    expect(r.ips).toEqual(["10.88.0.2", "fd00::2"]);
    expect(r.results).toEqual([bridgeResult]);
    expect(await createCniNetwork(opts).cachedIps("sb1")).toEqual(["10.88.0.2", "fd00::2"]);
  });

  test("a plugin answering 0.4.0 in a 1.0.0 list is converted before it is chained", async () => {
    fb.plugin("bridge", { result: ipResult("0.4.0", "10.88.0.9/16") });
    const n = await ready();
    const r = await n.setUp(req);
    const portmap = fb.calls()[1]!;
    expect(portmap.stdin.prevResult.cniVersion).toBe("1.0.0");
    expect(portmap.stdin.prevResult.ips).toEqual([{ address: "10.88.0.9/16", interface: 0 }]);
    expect(r.ips).toEqual(["10.88.0.2", "fd00::2"]);
  });

  test("a failed ADD deletes what was added, leaves no cache and names plugin, network and msg", async () => {
    fb.plugin("portmap", { error: { code: 999, msg: "iptables said no", details: "chain busy" } });
    const n = await ready();
    let err: unknown;
    try {
      await n.setUp(req);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe('set up network for sandbox "sb1"');
    const cause = (err as Error).cause as CniPluginError;
    expect(cause).toBeInstanceOf(CniPluginError);
    expect(cause.message).toBe('plugin "portmap" of network "skiff" failed on ADD (code 999): iptables said no: chain busy');
    expect(fb.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual([
      "ADD bridge", "ADD portmap", "DEL portmap", "DEL bridge",
    ]);
    // The failed network's DEL has no result to pass.
    expect(fb.calls()[2]!.stdin.prevResult).toBeUndefined();
    expect(existsSync(join(fb.cacheDir, "sb1"))).toBe(false);
  });

  test("with maxConfNum 0 every network is added, on eth0 then eth1", async () => {
    writeConflist(fb.confDir, "20-second.conflist", { cniVersion: "1.0.0", name: "second", plugins: [{ type: "bridge" }] });
    const n = await ready({ maxConfNum: 0 });
    await n.setUp(req);
    expect(fb.calls().map((c) => `${c.type} ${c.stdin.name} ${c.env.CNI_IFNAME}`)).toEqual([
      "bridge skiff eth0", "portmap skiff eth0", "bridge second eth1",
    ]);
  });

  test("a bad port mapping is refused before any plugin runs", async () => {
    const n = await ready();
    await expect(n.setUp({ ...req, portMappings: [{ hostPort: 99999, containerPort: 80, protocol: "tcp", hostIp: "" }] })).rejects.toThrow("config.port_mappings[0].host_port");
    expect(fb.calls()).toEqual([]);
  });
});

describe("tearDown and check", () => {
  beforeEach(() => writeConflist(fb.confDir, "10-skiff.conflist", mainList));

  test("DEL runs in reverse with the cached result and the cached runtimeConfig, then drops the cache", async () => {
    const n = await ready();
    await n.setUp(req);
    fb.clearCalls();
    // The request at teardown need not repeat the port mappings: the cached ones are used.
    await n.tearDown({ ...req, portMappings: [] });
    const calls = fb.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type} ${c.env.CNI_IFNAME}`)).toEqual(["DEL portmap eth0", "DEL bridge eth0"]);
    expect(calls[0]!.stdin.prevResult).toEqual(bridgeResult);
    expect(calls[0]!.stdin.runtimeConfig).toEqual({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    expect(await n.cachedIps("sb1")).toEqual([]);
    expect(existsSync(join(fb.cacheDir, "sb1"))).toBe(false);
  });

  test("DEL uses the cached config even after the conf file changed", async () => {
    const n = await ready();
    await n.setUp(req);
    writeConflist(fb.confDir, "10-skiff.conflist", { ...mainList, plugins: [{ type: "bridge", bridge: "other" }] });
    fb.clearCalls();
    await n.tearDown(req);
    const bridgeDel = fb.calls().find((c) => c.type === "bridge")!;
    expect(bridgeDel.stdin.bridge).toBe("b0");
    expect(fb.calls().some((c) => c.type === "portmap")).toBe(true);
  });

  test("DEL of an unknown sandbox with a missing netns runs without prevResult and with CNI_NETNS empty", async () => {
    const n = await ready();
    await n.tearDown({ ...req, sandboxId: "never", netnsPath: "/run/netns/gone-already" });
    const calls = fb.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(["DEL portmap", "DEL bridge"]);
    for (const c of calls) {
      expect(c.env.CNI_NETNS).toBe("");
      expect(c.stdin.prevResult).toBeUndefined();
    }
  });

  test("a loopback entry cached by an older skiff is dropped at teardown without a DEL", async () => {
    const n = await ready();
    await n.setUp(req);
    const legacy = { seq: -1, containerId: "sb1", networkName: "skiff-loopback", ifName: "lo", netnsPath: req.netnsPath, cniArgs: "", runtimeConfig: {}, config: { cniVersion: "1.0.0", name: "skiff-loopback", disableCheck: false, plugins: [{ type: "loopback" }], source: "" }, result: ipResult("1.0.0", "127.0.0.1/8") as CniResult };
    await createResultCache(fb.cacheDir).write(legacy);
    fb.clearCalls();
    await n.tearDown(req);
    expect(fb.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(["DEL portmap", "DEL bridge"]);
    expect(existsSync(join(fb.cacheDir, "sb1"))).toBe(false);
  });

  test("a second tearDown succeeds too", async () => {
    const n = await ready();
    await n.setUp(req);
    await n.tearDown(req);
    await n.tearDown(req);
  });

  test("a failing DEL of a cached network keeps its cache entry so a retry can finish", async () => {
    const n = await ready();
    await n.setUp(req);
    fb.plugin("bridge", { result: bridgeResult, error: { code: 5, msg: "busy" }, failOn: "DEL" });
    await expect(n.tearDown(req)).rejects.toThrow('tear down network for sandbox "sb1"');
    expect(await n.cachedIps("sb1")).toEqual(["10.88.0.2", "fd00::2"]);
    fb.plugin("bridge", { result: bridgeResult });
    await n.tearDown(req);
    expect(await n.cachedIps("sb1")).toEqual([]);
  });

  test("a 0.3.1 list gets no prevResult on DEL and no CHECK, as that version had neither", async () => {
    writeConflist(fb.confDir, "10-skiff.conflist", { ...mainList, cniVersion: "0.3.1" });
    fb.plugin("bridge", { result: ipResult("0.3.1", "10.88.0.2/16") });
    const n = await ready();
    await n.setUp(req);
    fb.clearCalls();
    await n.check(req);
    expect(fb.calls()).toEqual([]);
    fb.clearCalls();
    await n.tearDown(req);
    const bridgeDel = fb.calls().find((c) => c.type === "bridge")!;
    expect(bridgeDel.stdin.cniVersion).toBe("0.3.1");
    expect(bridgeDel.stdin.prevResult).toBeUndefined();
  });

  test("a user network named like the built-in loopback network is skipped", async () => {
    writeConflist(fb.confDir, "00-lo.conflist", { cniVersion: "1.0.0", name: "skiff-loopback", plugins: [{ type: "bridge" }] });
    const n = await ready({ maxConfNum: 0 });
    await n.setUp(req);
    expect(fb.calls().map((c) => c.stdin.name)).toEqual(["skiff", "skiff"]);
    expect(warnings.some((w) => w.includes('"skiff-loopback" is reserved'))).toBe(true);
  });

  test("CHECK runs in order with the cached result", async () => {
    const n = await ready();
    await n.setUp(req);
    fb.clearCalls();
    await n.check(req);
    const calls = fb.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(["CHECK bridge", "CHECK portmap"]);
    expect(calls[0]!.stdin.prevResult).toEqual(bridgeResult);
  });

  test("CHECK of a sandbox with no cached result is NotFound", async () => {
    const n = await ready();
    await expect(n.check(req)).rejects.toBeInstanceOf(NotFoundError);
  });

  test("a failing CHECK is reported", async () => {
    const n = await ready();
    await n.setUp(req);
    fb.plugin("portmap", { error: { code: 7, msg: "rule missing" }, failOn: "CHECK" });
    await expect(n.check(req)).rejects.toThrow('plugin "portmap" of network "skiff" failed on CHECK (code 7): rule missing');
  });

  test("CHECK is skipped for a list with disableCheck", async () => {
    writeConflist(fb.confDir, "10-skiff.conflist", { ...mainList, disableCheck: true });
    const n = await ready();
    await n.setUp(req);
    fb.clearCalls();
    await n.check(req);
    expect(fb.calls()).toEqual([]);
  });
});

describe("a portmap with no host ports to map is not run", () => {
  beforeEach(() => writeConflist(fb.confDir, "10-skiff.conflist", mainList));
  const noPorts: PodNetworkRequest = { ...req, portMappings: [{ hostPort: 0, containerPort: 81, protocol: "tcp", hostIp: "" }] };

  test("ADD, CHECK and DEL run the other plugins, and ADD's result is the one before it", async () => {
    // A portmap that fails whenever it runs: none of these calls may reach it.
    fb.plugin("portmap", { error: { code: 999, msg: "portmap ran" } });
    const n = await ready();
    const r = await n.setUp(noPorts);
    expect(r.results).toEqual([bridgeResult]);
    await n.check(noPorts);
    await n.tearDown(noPorts);
    expect(fb.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(["ADD bridge", "CHECK bridge", "DEL bridge"]);
  });

  test("a pod that maps a host port runs it on ADD and on DEL", async () => {
    const n = await ready();
    await n.setUp(req);
    await n.tearDown({ ...req, portMappings: [] });
    expect(fb.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(["ADD bridge", "ADD portmap", "DEL portmap", "DEL bridge"]);
  });

  test("first in a list it still runs, so its own error reaches the operator", async () => {
    writeConflist(fb.confDir, "10-skiff.conflist", { ...mainList, plugins: [{ type: "portmap", capabilities: { portMappings: true } }] });
    fb.plugin("portmap", { error: { code: 999, msg: "must be called as chained plugin" } });
    const n = await ready();
    await expect(n.setUp(noPorts)).rejects.toThrow("set up network");
    expect(fb.calls().map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual(["ADD portmap"]);
  });
});

describe("ifNameFor", () => {
  const cases = [
    { desc: "the first network keeps the given name", base: "eth0", i: 0, want: "eth0" },
    { desc: "later networks count up from the name's stem", base: "eth0", i: 2, want: "eth2" },
    { desc: "a name without digits gets the index appended", base: "net", i: 1, want: "net1" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(ifNameFor(tc.base, tc.i)).toBe(tc.want));
});
