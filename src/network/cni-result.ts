/**
 * Plugin results: parsing, conversion between the versions we accept, and pod IPs.
 * 0.3.x/0.4.0 results carry `ips[].version` ("4"/"6"); 1.x dropped it. Everything else we
 * read (interfaces, ips[].address/gateway/interface, routes, dns) has the same shape.
 * See https://github.com/containernetworking/cni/blob/main/SPEC.md#add-success
 */
import { isIP } from "node:net";

export type CniIp = { address: string; gateway?: string; interface?: number; version?: string };
export type CniResult = { cniVersion: string; ips?: CniIp[]; [key: string]: unknown };

const isPre1 = (v: string): boolean => v.startsWith("0.");

/**
 * Parses a plugin's success output.
 * @throws Error when it is not a JSON object with a cniVersion
 */
export function parseCniResult(stdout: string): CniResult {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw new Error(`result is not json: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("result is not a json object");
  const r = raw as CniResult;
  if (typeof r.cniVersion !== "string") throw new Error("result has no cniVersion");
  if (r.ips !== undefined && !Array.isArray(r.ips)) throw new Error("result ips is not a list");
  return r;
}

/** The address of a CIDR ("10.88.0.2/16" → "10.88.0.2"). */
export const addressOf = (cidr: string): string => cidr.split("/")[0] ?? cidr;

/**
 * Rewrites a result into another supported version so it can be a `prevResult` in the
 * list's version (a plugin that answers 0.4.0 inside a 1.0.0 list, say).
 */
export function convertResult(r: CniResult, toVersion: string): CniResult {
  if (r.cniVersion === toVersion) return r;
  const ips = r.ips?.map((ip) => {
    const { version: _v, ...rest } = ip;
    if (!isPre1(toVersion)) return rest;
    return { ...rest, version: isIP(addressOf(ip.address)) === 6 ? "6" : "4" };
  });
  return { ...r, cniVersion: toVersion, ...(ips ? { ips } : {}) };
}

/**
 * The pod IPs of results in network order: addresses without prefix length, IPv4 before
 * IPv6 (the kubelet takes the first as the primary pod IP), duplicates dropped.
 */
export function podIps(results: unknown[]): string[] {
  const all: string[] = [];
  for (const r of results) {
    const ips = (r as CniResult | null)?.ips;
    if (!Array.isArray(ips)) continue;
    for (const ip of ips) {
      const a = typeof ip?.address === "string" ? addressOf(ip.address) : "";
      if (isIP(a) !== 0 && !all.includes(a)) all.push(a);
    }
  }
  return [...all.filter((a) => isIP(a) === 4), ...all.filter((a) => isIP(a) === 6)];
}
