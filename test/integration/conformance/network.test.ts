/**
 * What a pod's network looks like from inside: its resolv.conf (from dns_config, or the
 * node's), hostname, /etc/hosts, its IP as PodSandboxStatus reports it, pod-to-pod
 * traffic, and port mappings (hostPort) reached from the node.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../../support/registry.ts";
import { type Case, expect, runCases } from "./cases.ts";
import { ctrConfig, execOut, execSync, podLinux, podStatus, runContainer, runPod, waitFor } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes();

/** A pod with one sleeping container; the pod and the container's id. */
async function podWith(rt: Runtime, name: string, podOver: Record<string, unknown> = {}, ctrOver: Record<string, unknown> = {}, script = "sleep 100000") {
  const pod = await runPod(rt, name, podOver);
  return { pod, id: await runContainer(rt, pod, ctrConfig(name, rts.images.busybox, script, ctrOver)) };
}

/** The nameservers, search domains and options of a resolv.conf text. */
function resolvConf(text: string) {
  const words = (key: string) => text.split("\n").filter((l) => l.startsWith(`${key} `)).flatMap((l) => l.split(/\s+/).slice(1));
  return { nameserver: words("nameserver"), search: words("search"), options: words("options") };
}

/** An HTTP server in a new pod; returns the pod's IP. */
async function server(rt: Runtime, name: string, body: string, podOver: Record<string, unknown> = {}): Promise<string> {
  const { pod } = await podWith(rt, name, podOver, {}, `mkdir -p /www && echo ${body} > /www/index.html && httpd -f -p 8080 -h /www`);
  return (await podStatus(rt, pod.id)).network.ip;
}

const gateway = (rt: Runtime) => rt.subnet.replace(/0\/24$/, "1");

const cases: Case<any>[] = [
  {
    desc: "dns_config becomes the pod's resolv.conf: servers, searches and options",
    run: async (rt) => {
      const dns_config = { servers: ["10.96.0.10", "10.96.0.11"], searches: ["conformance.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5", "timeout:2"] };
      const { id } = await podWith(rt, "dns", { dns_config });
      return resolvConf(await execOut(rt, id, ["cat", "/etc/resolv.conf"]));
    },
    check: (seen) =>
      expect(seen).toEqual({ nameserver: ["10.96.0.10", "10.96.0.11"], search: ["conformance.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5", "timeout:2"] }),
  },
  {
    desc: "without dns_config the pod gets the node's resolv.conf",
    run: async (rt) => (await execOut(rt, (await podWith(rt, "no-dns")).id, ["cat", "/etc/resolv.conf"])) === fs.readFileSync("/etc/resolv.conf", "utf8"),
    check: (seen) => expect(seen).toBe(true),
  },
  {
    desc: "the pod's hostname is the container's hostname, /etc/hostname and HOSTNAME",
    run: async (rt) => {
      const { id } = await podWith(rt, "named-host", { hostname: "conformance-host" });
      return { hostname: await execOut(rt, id, ["hostname"]), file: await execOut(rt, id, ["cat", "/etc/hostname"]), env: (await execOut(rt, id, ["sh", "-c", "echo $HOSTNAME"])) };
    },
    check: (seen) => expect(seen).toEqual({ hostname: "conformance-host\n", file: "conformance-host\n", env: "conformance-host\n" }),
  },
  {
    desc: "a host-network pod has the node's hostname",
    run: async (rt) => {
      const { id } = await podWith(rt, "hostnet-name", { ...podLinux({ namespace_options: { network: "NODE" } }), hostname: "" });
      return { hostname: (await execOut(rt, id, ["hostname"])).trim() === os.hostname(), env: (await execOut(rt, id, ["sh", "-c", "echo $HOSTNAME"])).trim() === os.hostname() };
    },
    check: (seen) => expect(seen).toEqual({ hostname: true, env: true }),
  },
  {
    desc: "/etc/hosts maps localhost to the loopback address",
    run: async (rt) => {
      const hosts = await execOut(rt, (await podWith(rt, "hosts")).id, ["cat", "/etc/hosts"]);
      return hosts.split("\n").some((l) => /^127\.0\.0\.1\s.*\blocalhost\b/.test(l));
    },
    check: (seen) => expect(seen).toBe(true),
  },
  {
    desc: "a CRI mount at /etc/hosts replaces the runtime's file, as the kubelet's managed hosts file does",
    run: async (rt) => {
      const file = path.join(rt.work, "kubelet-hosts");
      fs.writeFileSync(file, "127.0.0.1 localhost\n10.1.2.3 managed-by-kubelet\n");
      const { id } = await podWith(rt, "managed-hosts", {}, { mounts: [{ container_path: "/etc/hosts", host_path: file }] });
      return execOut(rt, id, ["cat", "/etc/hosts"]);
    },
    check: (seen) => expect(seen).toBe("127.0.0.1 localhost\n10.1.2.3 managed-by-kubelet\n"),
  },
  {
    desc: "the pod's IP in PodSandboxStatus is the address of the container's eth0",
    run: async (rt) => {
      const { pod, id } = await podWith(rt, "eth0");
      const ip = (await podStatus(rt, pod.id)).network.ip;
      const addr = await execOut(rt, id, ["ip", "-4", "-o", "addr", "show", "eth0"]);
      return { onEth0: addr.includes(` ${ip}/`), lo: (await execSync(rt, id, ["ip", "-o", "link", "show", "lo"])).stdout.includes("UP") };
    },
    check: (seen) => expect(seen).toEqual({ onEth0: true, lo: true }),
  },
  {
    desc: "a pod reaches another pod by its IP",
    run: async (rt) => {
      const ip = await server(rt, "pod-server", "from-a-pod");
      const { id } = await podWith(rt, "pod-client");
      return waitFor("the other pod to answer", async () => {
        // busybox-static's wget crashes in glibc's resolver; nc speaks the HTTP/1.0 itself
        const r = await execSync(rt, id, ["sh", "-c", `printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 8080`]);
        return r.code === 0 && r.stdout.startsWith("HTTP/1.1 200") ? r.stdout.split("\r\n\r\n")[1] : undefined;
      });
    },
    check: (seen) => expect(seen).toBe("from-a-pod\n"),
  },
  {
    desc: "a hostPort mapping reaches the container from the node",
    run: async (rt) => {
      const port = freePort();
      await server(rt, "host-port", "via-host-port", { port_mappings: [{ protocol: "TCP", container_port: 8080, host_port: port }] });
      return waitFor("the hostPort to answer", async () => {
        try {
          return await (await fetch(`http://${gateway(rt)}:${port}/index.html`, { signal: AbortSignal.timeout(2000) })).text();
        } catch {
          return undefined;
        }
      });
    },
    check: (seen) => expect(seen).toBe("via-host-port\n"),
  },
];

runCases("DNS, hostname and ports", rts, cases);
