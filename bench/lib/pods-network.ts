/**
 * The pod network that pod tests and the pod benchmark give a runtime: a CNI bridge
 * with a name and a 10.x /24 of its own (so runs side by side do not collide), no IP
 * masquerade, host-local IPAM with its state in a temp dir (not /var/lib/cni), portmap,
 * plus loopback; and an iptables FORWARD rule that drops whatever the pods send outside
 * their subnet, so nothing a test pod does can reach another machine.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type PodNetwork = {
  /** CNI network name, also the conflist's file name stem. */
  name: string;
  /** Linux bridge device, at most 15 characters. */
  bridge: string;
  /** e.g. "10.213.7.0/24" */
  subnet: string;
  /** Where host-local keeps its allocations. */
  ipamDir: string;
};

/** A fresh network description: random bridge name and 10.200–249.x.0/24 subnet not routed here yet. */
export function pickPodNetwork(tag: string, ipamDir: string): PodNetwork {
  const routes = Bun.spawnSync(["ip", "-4", "route", "show"], { stdout: "pipe", stderr: "ignore" }).stdout.toString();
  for (let i = 0; i < 50; i++) {
    const a = 200 + Math.floor(Math.random() * 50);
    const b = Math.floor(Math.random() * 256);
    const subnet = `10.${a}.${b}.0/24`;
    if (routes.includes(`10.${a}.${b}.`)) continue;
    const suffix = Math.random().toString(16).slice(2, 8);
    return { name: `skiff-${tag}-${suffix}`, bridge: `skf${suffix}`, subnet, ipamDir };
  }
  throw new Error("no free 10.x /24 for the pod network");
}

/** The conflist (CNI spec 0.4.0, which the Debian 12 plugins and both runtimes speak). */
export function podConflist(net: PodNetwork): string {
  const gateway = net.subnet.replace(/\.0\/24$/, ".1");
  return `${JSON.stringify(
    {
      cniVersion: "0.4.0",
      name: net.name,
      plugins: [
        {
          type: "bridge",
          bridge: net.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: "host-local", ranges: [[{ subnet: net.subnet, gateway }]], dataDir: net.ipamDir },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The loopback network config the CRI expects next to the pod network (containerd loads it itself). */
export function loopbackConf(): string {
  return `${JSON.stringify({ cniVersion: "0.4.0", name: "lo", type: "loopback" })}\n`;
}

/** Writes the conflist into `confDir` as `10-<name>.conflist`; returns its path. */
export function writePodConflist(confDir: string, net: PodNetwork): string {
  fs.mkdirSync(confDir, { recursive: true });
  fs.mkdirSync(net.ipamDir, { recursive: true });
  const file = path.join(confDir, `10-${net.name}.conflist`);
  fs.writeFileSync(file, podConflist(net));
  return file;
}

function run(argv: string[]): { ok: boolean; err: string } {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return { ok: p.exitCode === 0, err: p.stderr.toString().trim() };
}

/** The FORWARD rule's spec: from the subnet to anywhere outside it, dropped; tagged by the network name. */
function forwardRule(net: PodNetwork): string[] {
  return ["FORWARD", "-s", net.subnet, "!", "-d", net.subnet, "-m", "comment", "--comment", net.name, "-j", "DROP"];
}

/** Inserts the drop rule at the top of FORWARD. */
export function isolatePodNetwork(net: PodNetwork): void {
  const r = run(["iptables", "-w", "-I", ...forwardRule(net)]);
  if (!r.ok) throw new Error(`iptables -I FORWARD for ${net.subnet}: ${r.err}`);
}

/**
 * Undoes what the network left on the host: the drop rule, the bridge (CNI DEL leaves
 * it), the IPAM dir, and the results libcni caches under /var/lib/cni for this network.
 * Safe to call twice; errors are collected, not thrown midway.
 */
export function removePodNetwork(net: PodNetwork): string[] {
  const problems: string[] = [];
  while (run(["iptables", "-w", "-C", ...forwardRule(net)]).ok) {
    const r = run(["iptables", "-w", "-D", ...forwardRule(net)]);
    if (!r.ok) {
      problems.push(`iptables -D: ${r.err}`);
      break;
    }
  }
  if (fs.existsSync(`/sys/class/net/${net.bridge}`)) {
    const r = run(["ip", "link", "del", net.bridge]);
    if (!r.ok) problems.push(`ip link del ${net.bridge}: ${r.err}`);
  }
  fs.rmSync(net.ipamDir, { recursive: true, force: true });
  for (const dir of ["/var/lib/cni/results", "/var/lib/cni/cache/results"]) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith(`${net.name}-`)) fs.rmSync(path.join(dir, n), { force: true });
  }
  return problems;
}
