/** Checks of the node around skiff: its socket, the disk of `paths.root`, the clock, registry mirrors. Pure. */
import { type CheckResult, fail, ok, skip, warn } from "./check-result.ts";
import type { DoctorFacts, MirrorProbe } from "./doctor-facts.ts";

const GiB = 1024 ** 3;
/** Below this much free space image pulls soon fail. */
export const DISK_FAIL_BYTES = 1 * GiB;
/** Below this much (or 10% of the disk) the kubelet's image GC will be busy. */
export const DISK_WARN_BYTES = 5 * GiB;

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

function socketCheck(facts: DoctorFacts): CheckResult {
  const s = facts.socket;
  const id = "socket";
  if (s.groupGid === null) {
    return fail(id, `server.socket_group ${JSON.stringify(s.configuredGroup)} is not a group on this host; skiff will not start`, `create the group (groupadd ${s.configuredGroup}) or change server.socket_group`);
  }
  if (s.dirMode !== undefined && (s.dirMode & 0o002) !== 0 && (s.dirMode & 0o1000) === 0) {
    return fail(id, `the socket's directory is writable by anyone (mode ${octal(s.dirMode)}): anyone could put their own socket there`, "chmod 0711 the directory");
  }
  if (s.socketMode === undefined) {
    return ok(id, `${s.path} is created at start with mode ${octal(s.configuredMode)}${s.configuredGroup ? `, group ${s.configuredGroup}` : ""}`);
  }
  if ((s.socketMode & 0o002) !== 0) {
    return fail(id, `${s.path} is writable by anyone (mode ${octal(s.socketMode)}); using it is root on this node`, 'set server.socket_mode = "0660" and restart skiff');
  }
  if ((s.socketMode & 0o777) !== s.configuredMode) {
    return warn(id, `${s.path} has mode ${octal(s.socketMode)}, not server.socket_mode ${octal(s.configuredMode)}`, "restart skiff so it applies the configured mode");
  }
  if (s.groupGid !== undefined && s.socketGid !== s.groupGid) {
    return warn(id, `${s.path} belongs to gid ${s.socketGid}, not server.socket_group ${s.configuredGroup} (${s.groupGid})`, "restart skiff so it applies the configured group");
  }
  return ok(id, `${s.path}: mode ${octal(s.socketMode)}, gid ${s.socketGid}`);
}

function diskCheck(facts: DoctorFacts): CheckResult {
  const d = facts.disk;
  const id = "disk";
  if ("error" in d) return warn(id, `cannot read free space of ${d.path}: ${d.error}`);
  const pct = d.totalBytes > 0 ? Math.round((100 * d.availBytes) / d.totalBytes) : 0;
  const text = `${gib(d.availBytes)} free of ${gib(d.totalBytes)} (${pct}%) on the filesystem of ${d.path}`;
  const fix = "free space there or move paths.root to a larger disk";
  if (d.availBytes < DISK_FAIL_BYTES) return fail(id, `${text}: too little for image pulls`, fix);
  if (d.availBytes < DISK_WARN_BYTES || pct < 10) return warn(id, `${text}: little room for images`, fix);
  if (d.totalInodes > 0 && d.availInodes < d.totalInodes / 20) {
    return warn(id, `${text}, but only ${d.availInodes} of ${d.totalInodes} inodes free`, fix);
  }
  return ok(id, text);
}

function clockCheck(facts: DoctorFacts): CheckResult {
  const c = facts.clock;
  const fix = "run an NTP client (systemd-timesyncd or chrony): registry TLS certificates and tokens need a right clock";
  if (c === undefined) return warn("clock", "cannot tell whether the clock is synchronised (adjtimex failed)", fix);
  if (c.synchronized) return ok("clock", `synchronised (max error ${(c.maxErrorUs / 1000).toFixed(0)} ms)`);
  return warn("clock", "not synchronised: no NTP client is steering the kernel clock", fix);
}

function mirrorCheck(m: MirrorProbe): CheckResult {
  const id = "registry.mirror";
  const what = `mirror ${m.endpoint} of ${m.registry}`;
  if (m.status !== undefined) return ok(id, `${what} answers (HTTP ${m.status} on /v2/)`);
  return warn(id, `${what} unreachable: ${m.error ?? "no answer"}; pulls go on to the next endpoint`, "check the route to it, or remove it from registry.mirrors");
}

/** Socket, disk, clock, registry mirrors. */
export function nodeChecks(facts: DoctorFacts): CheckResult[] {
  const mirrors = facts.mirrors.length > 0 ? facts.mirrors.map(mirrorCheck) : [skip("registry.mirror", "no registry mirrors configured")];
  return [socketCheck(facts), diskCheck(facts), clockCheck(facts), ...mirrors];
}
