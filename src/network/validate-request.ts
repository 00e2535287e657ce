/**
 * Checks on a pod network request before any plugin runs, so bad input becomes an
 * InvalidArgument naming the CRI field rather than a plugin failure halfway through.
 */
import { isIP } from "node:net";
import { InvalidArgumentError } from "../errors.ts";
import type { PodNetworkRequest } from "./pod-network.ts";

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);
/** Ids become cache file names, so they must be plain names. */
const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const isPort = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;

/**
 * Interface names as the CNI spec allows them (and Linux: at most 15 bytes, no "/", ":"
 * or whitespace, not "." or "..").
 * See https://github.com/containernetworking/cni/blob/main/SPEC.md#parameters
 */
export function isValidIfName(name: string): boolean {
  return name.length > 0 && name.length <= 15 && name !== "." && name !== ".." && !/[/:\s]/.test(name);
}

/**
 * Validates a request for setUp/tearDown/check.
 * @throws InvalidArgumentError with the field at fault, e.g. `config.port_mappings[2].host_port`
 */
export function validatePodNetworkRequest(req: PodNetworkRequest): void {
  if (!ID_RE.test(req.sandboxId)) throw new InvalidArgumentError("pod_sandbox_id", `"${req.sandboxId}" is not a valid id`);
  if (req.ifName !== undefined && !isValidIfName(req.ifName)) {
    throw new InvalidArgumentError("if_name", `"${req.ifName}" is not a valid interface name`);
  }
  // CNI_ARGS is "K=V;K=V": a ";" or "=" in a value would forge another key.
  const meta: [string, string][] = [
    ["config.metadata.name", req.podName],
    ["config.metadata.namespace", req.podNamespace],
    ["config.metadata.uid", req.podUid],
  ];
  for (const [field, v] of meta) {
    if (/[;=]/.test(v)) throw new InvalidArgumentError(field, `"${v}" must not contain ";" or "="`);
  }
  (req.portMappings ?? []).forEach((pm, i) => {
    const f = `config.port_mappings[${i}]`;
    if (!PROTOCOLS.has(pm.protocol)) throw new InvalidArgumentError(`${f}.protocol`, `unknown protocol "${pm.protocol}"`);
    if (!isPort(pm.containerPort)) throw new InvalidArgumentError(`${f}.container_port`, `${pm.containerPort} is not in 1..65535`);
    if (pm.hostPort !== 0 && !isPort(pm.hostPort)) {
      throw new InvalidArgumentError(`${f}.host_port`, `${pm.hostPort} is not in 0..65535`);
    }
    if (pm.hostIp !== "" && isIP(pm.hostIp) === 0) throw new InvalidArgumentError(`${f}.host_ip`, `"${pm.hostIp}" is not an ip address`);
  });
  const bw = req.bandwidth ?? {};
  for (const [key, v] of Object.entries(bw)) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new InvalidArgumentError(`bandwidth.${key}`, `${v} is not a non-negative number`);
  }
}
