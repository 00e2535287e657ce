/**
 * Which kernel namespace a sysctl belongs to, and where it lives under /proc/sys. Pure.
 *
 * A pod's sysctls may only touch the pod's own namespaces: a sysctl of a namespace the pod
 * shares with the host (host network, host IPC) or of no namespace at all (`vm.*`, most
 * of `kernel.*`) would change the node. The rules are the ones runc applies before it
 * writes a spec's `linux.sysctl` (libcontainer's config validation), so a pod that skiff
 * accepts without an infra process is one runc would accept with one.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { NamespaceKind } from "../platform/types.ts";

/** IPC-namespaced sysctls under `kernel.` (SysV IPC limits). */
const IPC_KERNEL = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/** UTS-namespaced sysctls. */
const UTS_KERNEL = new Set(["kernel.domainname", "kernel.hostname"]);

/**
 * The dotted form of a sysctl name. The kubelet sends names with `/` inside when a path
 * component holds a dot (`net/ipv4/conf/eth0.100/rp_filter` arrives as
 * `net.ipv4.conf.eth0/100.rp_filter`): dots and slashes are swapped back and forth.
 */
function dotted(name: string): string {
  return name.includes("/") && !name.includes(".") ? name.replaceAll("/", ".") : name;
}

/** The namespace a sysctl lives in, or undefined for one that is node-wide. */
export function sysctlNamespace(name: string): NamespaceKind | undefined {
  const n = dotted(name);
  if (IPC_KERNEL.has(n) || n.startsWith("fs.mqueue.")) return "ipc";
  if (n.startsWith("net.")) return "net";
  if (UTS_KERNEL.has(n)) return "uts";
  return undefined;
}

/**
 * The path of a sysctl relative to /proc/sys: `net.ipv4.ip_forward` → `net/ipv4/ip_forward`,
 * `net.ipv4.conf.eth0/100.rp_filter` → `net/ipv4/conf/eth0.100/rp_filter`. A name written
 * as a path already (slashes, no dots) is kept.
 */
export function sysctlPath(name: string): string {
  if (!name.includes(".")) return name;
  return [...name].map((c) => (c === "." ? "/" : c === "/" ? "." : c)).join("");
}

/** One sysctl ready to write inside its namespace. */
export type PodSysctl = { kind: NamespaceKind; path: string; value: string };

/**
 * Checks a pod's sysctls against the namespaces it owns (`own`: the kinds skiff makes for
 * it, not the host's) and returns them with their namespace and path. Each refused one
 * names its key in `field`.
 */
export function podSysctls(sysctls: Readonly<Record<string, string>>, own: readonly NamespaceKind[], field = "config.linux.sysctls"): PodSysctl[] {
  const out: PodSysctl[] = [];
  for (const [name, value] of Object.entries(sysctls)) {
    const at = `${field}["${name}"]`;
    if (name === "" || /[\0\s]/.test(name) || name.split(/[./]/).some((part) => part === "" || part === "..")) {
      throw new InvalidArgumentError(at, `"${name}" is not a sysctl name`);
    }
    if (value.includes("\0")) throw new InvalidArgumentError(at, "the value holds a NUL byte");
    const kind = sysctlNamespace(name);
    if (!kind) throw new InvalidArgumentError(at, `sysctl "${name}" is not in a separate kernel namespace, so a pod may not set it`);
    if (!own.includes(kind)) {
      throw new InvalidArgumentError(at, `sysctl "${name}" belongs to the ${kind} namespace, which this pod shares with the host`);
    }
    out.push({ kind, path: sysctlPath(name), value });
  }
  return out;
}
