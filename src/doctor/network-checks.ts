/** Checks of pod networking: the CNI config skiff would load, its plugins, iptables. Pure. */
import { type CheckResult, fail, ok, warn } from "./check-result.ts";
import type { DoctorFacts } from "./doctor-facts.ts";
import { formatVersion, toolVersion } from "./version.ts";

/** Plugin types the loaded networks name, or the default conflist's when skiff will write it. */
export function neededPlugins(facts: DoctorFacts): string[] {
  const { cni } = facts;
  const types = cni.networks.length > 0 ? cni.networks.flatMap((n) => n.pluginTypes) : cni.writeDefault ? cni.defaultPluginTypes : [];
  return [...new Set(types)];
}

function configCheck(facts: DoctorFacts): CheckResult {
  const { cni } = facts;
  const skipped = cni.skipped.length > 0 ? `; skipped: ${cni.skipped.join("; ")}` : "";
  if (cni.networks.length > 0) {
    const nets = cni.networks.map((n) => `"${n.name}" (${n.source})`).join(", ");
    return ok("cni.config", `network ${nets} from ${cni.confDir}${skipped}`);
  }
  if (cni.writeDefault) {
    return ok("cni.config", `no network config in ${cni.confDir}: skiff writes its default bridge network there at start${skipped}`);
  }
  return warn(
    "cni.config",
    `no network config in ${cni.confDir}${skipped}; only host-network pods start until one is there (network add-ons write it)`,
    `write a conflist into ${cni.confDir}, or set cni.write_default = true`,
  );
}

function pluginsCheck(facts: DoctorFacts): CheckResult | undefined {
  const needed = neededPlugins(facts);
  if (needed.length === 0) return undefined;
  const { cni } = facts;
  const missing = needed.filter((t) => cni.found[t] === undefined);
  if (missing.length > 0) {
    return fail(
      "cni.plugins",
      `cni plugins not found in ${cni.binDirs.join(":")}: ${missing.join(", ")}`,
      "install them (Debian: apt-get install containernetworking-plugins) or set cni.bin_dirs",
    );
  }
  const dirs = [...new Set(needed.map((t) => cni.found[t]))].join(", ");
  return ok("cni.plugins", `cni plugins ${needed.join(", ")} found in ${dirs}`);
}

/** portmap (host ports) and firewall write iptables rules; without iptables their ADD fails. */
const IPTABLES_PLUGINS = ["portmap", "firewall"];

function iptablesCheck(facts: DoctorFacts): CheckResult {
  const ipt = facts.iptables;
  if (ipt.problem === undefined) {
    const ver = ipt.versionOutput !== undefined ? toolVersion(ipt.versionOutput) : undefined;
    const backend = /\((nf_tables|legacy)\)/.exec(ipt.versionOutput ?? "")?.[1];
    return ok("iptables", `iptables${ver ? ` ${formatVersion(ver)}` : ""}${backend ? ` (${backend})` : ""} at ${ipt.path}`);
  }
  const users = neededPlugins(facts).filter((t) => IPTABLES_PLUGINS.includes(t));
  const fix = "install iptables (Debian: apt-get install iptables)";
  if (users.length > 0) return fail("iptables", `iptables: ${ipt.problem}; the ${users.join(", ")} plugin needs it`, fix);
  return warn("iptables", `iptables: ${ipt.problem}; host ports and network policies need it`, fix);
}

/** CNI config and plugins, iptables. */
export function networkChecks(facts: DoctorFacts): CheckResult[] {
  const plugins = pluginsCheck(facts);
  return [configCheck(facts), ...(plugins ? [plugins] : []), iptablesCheck(facts)];
}
