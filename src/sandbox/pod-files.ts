/**
 * The text of the files every container of a pod shares: /etc/hostname, /etc/hosts and
 * /etc/resolv.conf. Pure: the caller reads the host's files and writes the results.
 */
import { isIP } from "node:net";
import type { DNSConfig } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";

/** `hostname` followed by a newline, as /etc/hostname holds it. */
export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/** Localhost lines every pod's /etc/hosts starts with. */
const LOCALHOST_LINES = [
  "127.0.0.1\tlocalhost",
  "::1\tlocalhost ip6-localhost ip6-loopback",
  "fe00::0\tip6-localnet",
  "fe00::0\tip6-mcastprefix",
  "fe00::1\tip6-allnodes",
  "fe00::2\tip6-allrouters",
];

/**
 * /etc/hosts of a pod with its own network: localhost, then the pod's IPs under its
 * hostname. (The kubelet replaces this file with its own mount for most pods; this is
 * what a pod gets when it does not, e.g. when driven by crictl.)
 */
export function podHostsFile(hostname: string, ips: readonly string[]): string {
  const lines = [...LOCALHOST_LINES];
  if (hostname !== "") for (const ip of ips) lines.push(`${ip}\t${hostname}`);
  return `${lines.join("\n")}\n`;
}

const FIELD = "config.dns_config";
/** glibc reads at most this many search domains (MAXDNSRCH). */
const MAX_SEARCHES = 32;

/**
 * resolv.conf from the CRI DNSConfig: one `search` line, a `nameserver` line per server,
 * one `options` line. Servers must be IP addresses; nothing may hold a newline.
 */
export function resolvConfFile(dns: Pick<DNSConfig, "servers" | "searches" | "options">): string {
  const clean = (v: string, field: string) => {
    if (v === "" || /[\s#;]/.test(v)) throw new InvalidArgumentError(field, `"${v}" is not a valid entry`);
    return v;
  };
  dns.servers.forEach((s, i) => {
    if (isIP(s) === 0) throw new InvalidArgumentError(`${FIELD}.servers[${i}]`, `"${s}" is not an IP address`);
  });
  if (dns.searches.length > MAX_SEARCHES) {
    throw new InvalidArgumentError(`${FIELD}.searches`, `has ${dns.searches.length} entries, at most ${MAX_SEARCHES} are allowed`);
  }
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.map((s, i) => clean(s, `${FIELD}.searches[${i}]`)).join(" ")}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.map((o, i) => clean(o, `${FIELD}.options[${i}]`)).join(" ")}`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** Whether a DNSConfig says anything; an empty one means "use the host's resolv.conf". */
export function hasDnsConfig(dns: DNSConfig | undefined): dns is DNSConfig {
  return !!dns && (dns.servers.length > 0 || dns.searches.length > 0 || dns.options.length > 0);
}
