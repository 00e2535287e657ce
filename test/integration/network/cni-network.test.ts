/**
 * The CNI driver against the real plugins in /usr/lib/cni (bridge, host-local, portmap,
 * loopback), as root, in network namespaces this test makes and removes. Pod traffic is
 * kept on the machine: a test-only bridge and 10.199.0.0/24 subnet, ipMasq off, and a
 * FORWARD drop for anything leaving the subnet while the test runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createCniNetwork, type CniNetwork, type CniNetworkOptions, type PodNetworkRequest } from "../../../src/network/cni-network.ts";
import { defaultConflist } from "../../../src/network/default-conflist.ts";

const isRoot = process.getuid?.() === 0;
const SUBNET = "10.199.0.0/24";
const GATEWAY = "10.199.0.1";
const BRIDGE = "skifft0";
const NET_NAME = "skifftest";
const NS_A = "skifftest-a";
const NS_B = "skifftest-b";
const HOST_PORT = 18080;
const POD_PORT = 8080;
const FORWARD_DROP = ["FORWARD", "-s", SUBNET, "!", "-d", SUBNET, "-j", "DROP"];
const HOSTPORT_CHAINS = ["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"];
const suffix = Math.random().toString(16).slice(2, 10);
const ID_A = `skifftesta${suffix}`;
const ID_B = `skifftestb${suffix}`;

function run(cmd: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: r.stdout.toString() + r.stderr.toString() };
}
const natRules = () => run(["iptables-save", "-t", "nat"]).out;
const natChains = () => new Set([...natRules().matchAll(/^:(\S+)/gm)].map((m) => m[1]!));

/** Reads what a TCP server sends first, or the error; never throws. */
async function banner(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    const timer = setTimeout(() => resolve(`timeout${data ? `: ${data}` : ""}`), timeoutMs);
    Bun.connect({
      hostname: host,
      port,
      socket: {
        data(_s, d) {
          data += d.toString();
          if (data.includes("\n")) {
            clearTimeout(timer);
            resolve(data.trim());
          }
        },
        close() {
          clearTimeout(timer);
          resolve(data.trim() || "closed");
        },
        error(_s, e) {
          clearTimeout(timer);
          resolve(`error: ${e.message}`);
        },
      },
    }).catch((e) => {
      clearTimeout(timer);
      resolve(`error: ${(e as Error).message}`);
    });
  });
}

describe.skipIf(!isRoot)("cni network with the real plugins (root)", () => {
  let root: string;
  let opts: CniNetworkOptions;
  let net: CniNetwork;
  let ipForwardBefore = "";
  let chainsBefore = new Set<string>();
  const listeners: Subprocess[] = [];
  const ips: Record<string, string> = {};
  const reqA: PodNetworkRequest = { sandboxId: ID_A, netnsPath: `/run/netns/${NS_A}`, podName: "a", podNamespace: "skifftest", podUid: "uid-a" };
  const reqB: PodNetworkRequest = {
    sandboxId: ID_B,
    netnsPath: `/run/netns/${NS_B}`,
    podName: "b",
    podNamespace: "skifftest",
    podUid: "uid-b",
    portMappings: [{ hostPort: HOST_PORT, containerPort: POD_PORT, protocol: "tcp", hostIp: "" }],
  };

  /** Undoes everything the test may have made; safe to run twice. */
  async function cleanup(): Promise<void> {
    for (const l of listeners.splice(0)) l.kill("SIGKILL");
    for (const r of [reqB, reqA]) await net?.tearDown(r).catch(() => {});
    for (const ns of [NS_A, NS_B]) if (existsSync(`/run/netns/${ns}`)) run(["ip", "netns", "del", ns]);
    if (run(["ip", "link", "show", BRIDGE]).ok) run(["ip", "link", "del", BRIDGE]);
    while (run(["iptables", "-C", ...FORWARD_DROP]).ok) run(["iptables", "-D", ...FORWARD_DROP]);
    // portmap's shared chains and their jumps stay after DEL; drop them if we made them.
    const created = HOSTPORT_CHAINS.filter((c) => natChains().has(c) && !chainsBefore.has(c));
    for (const line of natRules().split("\n")) {
      const m = /^-A (PREROUTING|OUTPUT|POSTROUTING) (.*-j (\S+).*)$/.exec(line);
      if (m && created.includes(m[3]!)) run(["sh", "-c", `iptables -t nat -D ${m[1]} ${m[2]}`]);
    }
    for (const c of created) run(["iptables", "-t", "nat", "-F", c]);
    for (const c of created) run(["iptables", "-t", "nat", "-X", c]);
    if (ipForwardBefore) writeFileSync("/proc/sys/net/ipv4/ip_forward", ipForwardBefore);
    if (root) rmSync(root, { recursive: true, force: true });
  }

  beforeAll(async () => {
    ipForwardBefore = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
    chainsBefore = natChains();
    for (const ns of [NS_A, NS_B]) expect(existsSync(`/run/netns/${ns}`)).toBe(false);
    expect(run(["ip", "link", "show", BRIDGE]).ok).toBe(false);
    root = mkdtempSync(join(tmpdir(), "skiff-cni-it-"));
    const confDir = join(root, "net.d");
    mkdirSync(confDir);
    writeFileSync(
      join(confDir, "10-skiff.conflist"),
      JSON.stringify(defaultConflist(SUBNET, { name: NET_NAME, bridge: BRIDGE, ipamDataDir: join(root, "ipam") })),
    );
    expect(run(["iptables", "-I", ...FORWARD_DROP]).ok).toBe(true);
    for (const ns of [NS_A, NS_B]) expect(run(["ip", "netns", "add", ns]).out).toBe("");
    opts = { confDir, binDirs: ["/usr/lib/cni"], maxConfNum: 1, cacheDir: join(root, "cache"), defaultSubnet: SUBNET, writeDefault: false };
    net = createCniNetwork(opts);
    await net.init();
  });
  afterAll(cleanup);

  test("the real plugins are found and the network is ready", () => {
    expect(net.status()).toEqual({ ready: true, reason: "", message: "" });
  });

  test("two pods get addresses in the subnet and a default route, and lo is left as it was", async () => {
    const a = await net.setUp(reqA);
    const b = await net.setUp(reqB);
    expect(a.ips).toHaveLength(1);
    expect(b.ips).toHaveLength(1);
    ips.a = a.ips[0]!;
    ips.b = b.ips[0]!;
    for (const ip of [ips.a, ips.b]) expect(ip.startsWith("10.199.0.")).toBe(true);
    expect(ips.a).not.toBe(ips.b);
    expect(run(["ip", "netns", "exec", NS_A, "ip", "-4", "addr", "show", "eth0"]).out).toContain(`${ips.a}/24`);
    // The driver runs no loopback plugin: whoever makes the namespace sets lo up (skiff's
    // platform does, when it pins one; `ip netns add` does not).
    expect(run(["ip", "netns", "exec", NS_A, "ip", "link", "show", "lo"]).out).not.toMatch(/<LOOPBACK,UP/);
    expect(run(["ip", "netns", "exec", NS_B, "ip", "route"]).out).toContain(`default via ${GATEWAY}`);
    expect(readdirSync(join(root, "ipam", NET_NAME))).toEqual(expect.arrayContaining([ips.a, ips.b]));
  });

  test("the pods reach each other over the bridge", () => {
    const r = run(["ip", "netns", "exec", NS_A, "busybox", "ping", "-c1", "-W2", ips.b!]);
    expect(r.out).toContain("1 packets received");
    expect(r.ok).toBe(true);
  });

  test("a host port reaches the pod through the bridge gateway address", async () => {
    const listener = Bun.spawn(["ip", "netns", "exec", NS_B, "sh", "-c", `echo hello-from-b | busybox nc -l -p ${POD_PORT}`], { stdout: "ignore", stderr: "ignore" });
    listeners.push(listener);
    await Bun.sleep(300);
    expect(natRules()).toContain(ID_B);
    expect(await banner(GATEWAY, HOST_PORT)).toBe("hello-from-b");
  });

  test("a host port reaches the pod through 127.0.0.1 (portmap snat with route_localnet)", async () => {
    const listener = Bun.spawn(["ip", "netns", "exec", NS_B, "sh", "-c", `echo hello-local | busybox nc -l -p ${POD_PORT}`], { stdout: "ignore", stderr: "ignore" });
    listeners.push(listener);
    await Bun.sleep(300);
    expect(await banner("127.0.0.1", HOST_PORT)).toBe("hello-local");
  });

  test("CHECK passes for a pod set up by the real plugins", async () => {
    await net.check(reqA);
  });

  test("CHECK of a pod with a host port fails in portmap 1.1.1 (upstream bug, IPv4-only pods)", async () => {
    // Debian 12 ships plugins 1.1.1, whose portmap CHECK looks for ip6tables rules it never
    // made: https://github.com/containernetworking/plugins/issues/819. Should this start
    // passing, the plugins were upgraded and this test can expect success.
    await expect(net.check(reqB)).rejects.toThrow('plugin "portmap" of network "skifftest" failed on CHECK');
  });

  test("CHECK notices a pod whose address was removed", async () => {
    expect(run(["ip", "netns", "exec", NS_A, "ip", "addr", "del", `${ips.a}/24`, "dev", "eth0"]).ok).toBe(true);
    try {
      await expect(net.check(reqA)).rejects.toThrow('plugin "bridge" of network "skifftest" failed on CHECK');
    } finally {
      run(["ip", "netns", "exec", NS_A, "ip", "addr", "add", `${ips.a}/24`, "dev", "eth0"]);
    }
  });

  test("a fresh driver (a restarted skiff) knows the pod IPs from the cache", async () => {
    const again = createCniNetwork(opts);
    expect(await again.cachedIps(ID_A)).toEqual([ips.a!]);
    expect(await again.cachedIps(ID_B)).toEqual([ips.b!]);
  });

  test("DEL removes the pod's port rules, its address and its cache; a second DEL is fine", async () => {
    await net.tearDown(reqB);
    expect(natRules()).not.toContain(ID_B);
    expect(readdirSync(join(root, "ipam", NET_NAME))).not.toContain(ips.b);
    expect(await net.cachedIps(ID_B)).toEqual([]);
    expect(run(["ip", "netns", "exec", NS_B, "ip", "link", "show", "eth0"]).ok).toBe(false);
    await net.tearDown(reqB);
  });

  test("DEL after the netns is gone still releases the address", async () => {
    expect(run(["ip", "netns", "del", NS_A]).ok).toBe(true);
    await net.tearDown(reqA);
    expect(readdirSync(join(root, "ipam", NET_NAME))).not.toContain(ips.a);
    expect(await net.cachedIps(ID_A)).toEqual([]);
  });

  test("cleanup leaves no bridge, netns, forward rule or chains behind", async () => {
    await cleanup();
    expect(run(["ip", "link", "show", BRIDGE]).ok).toBe(false);
    for (const ns of [NS_A, NS_B]) expect(existsSync(`/run/netns/${ns}`)).toBe(false);
    expect(run(["iptables", "-C", ...FORWARD_DROP]).ok).toBe(false);
    const chains = natChains();
    for (const c of HOSTPORT_CHAINS) expect(chains.has(c)).toBe(chainsBefore.has(c));
    expect([...chains].filter((c) => /^CNI-(DN|SN)-/.test(c))).toEqual([...chainsBefore].filter((c) => /^CNI-(DN|SN)-/.test(c)));
    expect(natRules()).not.toContain("skifftest");
    expect(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim()).toBe(ipForwardBefore);
  });
});
