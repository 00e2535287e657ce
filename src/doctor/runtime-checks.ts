/**
 * Checks of the binaries pods run on: each runtime handler's OCI runtime (present, its
 * version, the known advisories it is open to), conmon and the infra process. Pure.
 */
import { type Advisory, advisoriesFor, isFixed, openAdvisories } from "./advisories.ts";
import { type CheckResult, fail, ok, skip, warn } from "./check-result.ts";
import type { BinaryFacts, DoctorFacts, InfraFacts, RuntimeFacts } from "./doctor-facts.ts";
import { type Version, compareVersions, formatVersion, toolVersion, v } from "./version.ts";

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** `runc 1.1.5 at /usr/sbin/runc`, or just the path when the version is unknown. */
function describeBinary(b: BinaryFacts): string {
  const ver = b.versionOutput !== undefined ? toolVersion(b.versionOutput) : undefined;
  return ver ? `${baseName(b.path)} ${formatVersion(ver)} at ${b.path}` : `${b.path} (version unknown)`;
}

function runtimeCheck(r: RuntimeFacts): CheckResult {
  const id = `runtime.${r.handler}`;
  const fix = `install ${baseName(r.path)} (Debian: apt-get install ${baseName(r.path)}) or set runtimes.${r.handler}.runtime_path`;
  if (r.problem !== undefined) {
    if (r.isDefault) return fail(id, `default runtime handler "${r.handler}": ${r.problem}`, fix);
    return warn(id, `runtime handler "${r.handler}": ${r.problem}; pods of that RuntimeClass will fail`, fix);
  }
  return ok(id, `${describeBinary(r)}${r.isDefault ? " (default handler)" : ""}`);
}

/**
 * The lowest release at or above `version` that fixes every one of `open`: each
 * advisory's fixed releases are the candidates (as releases, `1.4.0-rc.3` becomes
 * `1.4.0`), tried from the oldest up.
 */
export function lowestFixingRelease(version: Version, open: readonly Advisory[]): string | undefined {
  const candidates = open
    .flatMap((a) => a.fixedIn.map(v))
    .map((c) => v(`${c.major}.${c.minor}.${c.patch}`))
    .filter((c) => compareVersions(c, version) > 0)
    .sort(compareVersions);
  const target = candidates.find((c) => open.every((a) => isFixed(c, a.fixedIn)));
  return target ? formatVersion(target) : undefined;
}

function advisoryCheck(r: RuntimeFacts): CheckResult | undefined {
  const name = baseName(r.path);
  const known = advisoriesFor(name);
  const version = r.versionOutput !== undefined ? toolVersion(r.versionOutput) : undefined;
  if (r.problem !== undefined || known.length === 0 || version === undefined) return undefined;
  const id = `runtime.${r.handler}.advisories`;
  const open = openAdvisories(known, version, r.changelog);
  const backported = known.filter((a) => !isFixed(version, a.fixedIn) && !open.includes(a)).flatMap((a) => a.cves);
  const note = backported.length > 0 ? ` (${backported.join(", ")} fixed by the distribution's backport)` : "";
  const ver = formatVersion(version);
  if (open.length === 0) return ok(id, `${name} ${ver}: no known advisory open${note}`);
  const list = open.map((a) => `${a.cves.join(", ")} (${a.severity}: ${a.summary})`).join("; ");
  const target = lowestFixingRelease(version, open);
  return warn(
    id,
    `${name} ${ver} is open to ${list}${note}`,
    `upgrade ${name}${target ? ` to ${target} or later` : ""}; a distribution that backports the fixes names the CVEs in its package changelog`,
  );
}

function conmonCheck(c: BinaryFacts): CheckResult {
  if (c.problem !== undefined) {
    return fail("conmon", `conmon: ${c.problem}`, "install conmon (Debian: apt-get install conmon) or set linux.conmon_path");
  }
  return ok("conmon", describeBinary(c));
}

/**
 * The infra process runs in pods that share one PID namespace (the kubelet's
 * shareProcessNamespace), and in every pod of a handler with `sandbox_process = "always"`.
 * Without it the first kind fails to start (a warning: most pods do not share), the second
 * kind all pods (a failure).
 */
function infraCheck(infra: InfraFacts): CheckResult {
  if (infra.kind === "image") return skip("infra", `pods' infra process comes from image.sandbox_image ${JSON.stringify(infra.image)}`);
  const b = infra.binary;
  const fix = "install catatonit (Debian: apt-get install catatonit), set linux.infra_path to a static init, or set image.sandbox_image";
  const problem =
    b.problem !== undefined ? `infra process: ${b.problem}` :
    infra.dynamic === true ? `infra process ${b.path} is dynamically linked; it runs alone in an empty root and must be static` :
    undefined;
  if (problem === undefined) return ok("infra", `${describeBinary(b)} (the infra process of pods that have one)`);
  if (infra.everyPod) return fail("infra", `${problem}; the default handler gives every pod one (sandbox_process = "always")`, fix);
  return warn("infra", `${problem}; pods sharing a process namespace (shareProcessNamespace) will not start`, fix);
}

/**
 * The files the config names (base runtime specs, registry CA files), as `skiff serve`
 * checks them at start; runtime binaries are left to the runtime checks below.
 */
function configCheck(facts: DoctorFacts): CheckResult {
  const errors = facts.configErrors.filter((e) => !/^runtimes\.[^:]*\.runtime_path:/.test(e));
  if (errors.length === 0) return ok("config", "the files the config names are there");
  return fail("config", `skiff will not start: ${errors.join("; ")}`, "fix those keys in the config, or put the files there (skiff config check shows the same)");
}

/** The config's files, runtime handlers, their advisories, conmon and the infra process. */
export function runtimeChecks(facts: DoctorFacts): CheckResult[] {
  const out: CheckResult[] = [configCheck(facts)];
  for (const r of facts.runtimes) {
    out.push(runtimeCheck(r));
    const adv = advisoryCheck(r);
    if (adv) out.push(adv);
  }
  out.push(conmonCheck(facts.conmon), infraCheck(facts.infra));
  return out;
}
