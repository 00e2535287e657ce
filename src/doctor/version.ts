/**
 * Version numbers as the tools skiff drives print them (`runc --version`,
 * `conmon --version`, `iptables --version`, ...), and their order. Pure.
 */

export type Version = {
  major: number;
  minor: number;
  patch: number;
  /** Pre-release tag without the dash, e.g. `rc.3`; undefined for a release. */
  pre?: string;
  /** The version as printed, build metadata included (`1.1.5+ds1`). */
  text: string;
};

const VERSION_RE = /(\d+)\.(\d+)(?:\.(\d+))?(?:-((?:rc|alpha|beta)[.\d]*))?([+~][\w.+~-]*)?/;

/** Parses `1.2.3`, `1.4.0-rc.3`, `1.1.5+ds1`; undefined when `text` holds no version. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  const v: Version = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: m[0] };
  if (m[4] !== undefined) v.pre = m[4];
  return v;
}

/**
 * The version a tool reports about itself: the first version on the line that says
 * "version" (`runc version 1.1.5+ds1`, `tini version 0.1.7_catatonit`), else the first
 * version anywhere (`iptables v1.8.9 (nf_tables)`).
 */
export function toolVersion(output: string): Version | undefined {
  const line = output.split("\n").find((l) => /\bversion\b/i.test(l));
  return (line !== undefined ? parseVersion(line) : undefined) ?? parseVersion(output);
}

const preNumber = (pre: string) => Number(/(\d+)\s*$/.exec(pre)?.[1] ?? 0);

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`; a pre-release comes before its release. */
export function compareVersions(a: Version, b: Version): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0) return d;
  if (a.pre === b.pre) return 0;
  if (a.pre === undefined) return 1;
  if (b.pre === undefined) return -1;
  const kind = a.pre.replace(/[.\d]+$/, "").localeCompare(b.pre.replace(/[.\d]+$/, ""));
  return kind !== 0 ? kind : preNumber(a.pre) - preNumber(b.pre);
}

/** `parseVersion` for literals known to be valid. */
export function v(text: string): Version {
  const parsed = parseVersion(text);
  if (!parsed) throw new Error(`not a version: ${JSON.stringify(text)}`);
  return parsed;
}

/** `1.2.3` (no build metadata), for messages. */
export function formatVersion(ver: Version): string {
  return `${ver.major}.${ver.minor}.${ver.patch}${ver.pre !== undefined ? `-${ver.pre}` : ""}`;
}
