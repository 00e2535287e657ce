/**
 * Known security advisories of the OCI runtimes skiff drives, with the first fixed
 * release of each release line, and the check of a version against them. Pure.
 *
 * Sources (read 2026): runc's CHANGELOG.md on its main branch (entries for 1.1.12,
 * 1.1.14, 1.2.0-rc.3, 1.2.8, 1.3.3, 1.4.0-rc.3, 1.3.6, 1.4.3, 1.5.0-rc.3) and the
 * advisories it links (GHSA-xr7r-f8xq-vfvv, GHSA-jfvp-7x6p-h2pv, GHSA-9493-h29p-rfm2,
 * GHSA-qw9x-cqr3-wc7r, GHSA-cgrx-mc8f-2prm, GHSA-xjvp-4fhw-gc47); for crun, its
 * advisory for CVE-2022-27650 (fixed in 1.4.4). runc 1.1 and 1.2 got no fix for the
 * 2025 and 2026 issues: every 1.1.x is affected by them.
 *
 * Distributions backport fixes without changing the upstream version (Debian's
 * runc 1.1.5+ds1-1+deb12u1 carries the CVE-2024-21626 fix). `openAdvisories` therefore
 * takes the package changelog, when there is one, and counts an advisory as fixed when
 * the changelog names every CVE of it.
 */
import { type Version, compareVersions, v } from "./version.ts";

export type Advisory = {
  cves: string[];
  severity: "high" | "medium" | "low";
  summary: string;
  /** The first fixed release of each release line that got a fix. */
  fixedIn: string[];
};

export const RUNC_ADVISORIES: readonly Advisory[] = [
  {
    cves: ["CVE-2024-21626"],
    severity: "high",
    summary: "container escape through a leaked file descriptor (\"Leaky Vessels\")",
    fixedIn: ["1.1.12"],
  },
  {
    cves: ["CVE-2024-45310"],
    severity: "low",
    summary: "a container could create empty files and directories on the host",
    fixedIn: ["1.1.14", "1.2.0-rc.3"],
  },
  {
    cves: ["CVE-2025-31133", "CVE-2025-52565", "CVE-2025-52881"],
    severity: "high",
    summary: "container escape through masked paths, /dev/console and redirected procfs writes",
    fixedIn: ["1.2.8", "1.3.3", "1.4.0-rc.3"],
  },
  {
    cves: ["CVE-2026-41579"],
    severity: "low",
    summary: "limited writes to the host through a /dev symlink in the image",
    fixedIn: ["1.3.6", "1.4.3", "1.5.0-rc.3"],
  },
];

export const CRUN_ADVISORIES: readonly Advisory[] = [
  {
    cves: ["CVE-2022-27650"],
    severity: "medium",
    summary: "containers started with non-empty inheritable capabilities",
    fixedIn: ["1.4.4"],
  },
];

/** The advisories known for a runtime binary, by its file name (`runc`, `crun`). */
export function advisoriesFor(runtimeName: string): readonly Advisory[] {
  if (runtimeName === "runc") return RUNC_ADVISORIES;
  if (runtimeName === "crun") return CRUN_ADVISORIES;
  return [];
}

/**
 * Whether `version` has the fix: it is at or above the fix of its own release line, or
 * newer than every fixed release (a later line). A line older than the first fix, or one
 * that never got a fix, is affected.
 */
export function isFixed(version: Version, fixedIn: readonly string[]): boolean {
  const fixes = fixedIn.map(v).sort(compareVersions);
  const sameLine = fixes.find((f) => f.major === version.major && f.minor === version.minor);
  if (sameLine) return compareVersions(version, sameLine) >= 0;
  const newest = fixes.at(-1);
  return newest !== undefined && compareVersions(version, newest) > 0;
}

/** The advisories `version` is open to, leaving out those a package changelog says were backported. */
export function openAdvisories(advisories: readonly Advisory[], version: Version, changelog = ""): Advisory[] {
  return advisories.filter((a) => !isFixed(version, a.fixedIn) && !a.cves.every((cve) => changelog.includes(cve)));
}

