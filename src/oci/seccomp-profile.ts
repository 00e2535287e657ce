/**
 * Which seccomp profile a container or sandbox gets, from the CRI `SecurityProfile`
 * (or the deprecated `seccomp_profile_path` string), and the parsing of `Localhost`
 * profiles.
 *
 * Reading a Localhost profile's file is I/O, so the caller does it: it asks
 * `seccompLocalhostPath` which file (if any) to read, and passes the text in as
 * `seccompLocalhost: { [path]: content }`. The text is parsed here, eagerly, so a bad
 * profile fails the CreateContainer call with the field named, not runc later.
 */
import type { SecurityProfile } from "../gen/runtime/v1/api_pb.ts";
import { SecurityProfile_ProfileType } from "../wire/gen/runtime-v1.ts";
import { InvalidArgumentError } from "../errors.ts";
import { defaultSeccompProfile } from "./seccomp-default.ts";
import type { Seccomp, SeccompArg, SeccompSyscall } from "./spec.ts";

/** What the CRI asked for. `unset` leaves whatever the base spec has (the built-in base has none). */
export type SeccompChoice =
  | { kind: "unset" }
  | { kind: "unconfined" }
  | { kind: "runtime-default" }
  | { kind: "localhost"; path: string };

/** The two fields of a (sandbox or container) security context that choose seccomp. */
export type SeccompFields = { seccomp?: SecurityProfile; seccompProfilePath: string };

/**
 * The CRI choice. `seccomp` wins over the deprecated string; the string accepts
 * `runtime/default`, `docker/default`, `unconfined`, `localhost/<absolute path>` and "".
 * `field` is the security context's path (`config.linux.security_context`).
 */
export function seccompChoice(sc: SeccompFields | undefined, field: string): SeccompChoice {
  if (sc?.seccomp) {
    const p = sc.seccomp;
    switch (p.profileType) {
      case SecurityProfile_ProfileType.RuntimeDefault:
        return { kind: "runtime-default" };
      case SecurityProfile_ProfileType.Unconfined:
        return { kind: "unconfined" };
      case SecurityProfile_ProfileType.Localhost:
        return { kind: "localhost", path: absolute(p.localhostRef, `${field}.seccomp.localhost_ref`) };
      default:
        throw new InvalidArgumentError(`${field}.seccomp.profile_type`, `unknown profile type ${p.profileType}`);
    }
  }
  const legacy = sc?.seccompProfilePath ?? "";
  const lf = `${field}.seccomp_profile_path`;
  if (legacy === "") return { kind: "unset" };
  if (legacy === "runtime/default" || legacy === "docker/default") return { kind: "runtime-default" };
  if (legacy === "unconfined") return { kind: "unconfined" };
  if (legacy.startsWith("localhost/")) return { kind: "localhost", path: absolute(legacy.slice("localhost/".length), lf) };
  throw new InvalidArgumentError(lf, `unknown profile "${legacy}"`);
}

function absolute(path: string, field: string): string {
  if (!path.startsWith("/")) throw new InvalidArgumentError(field, `"${path}" is not an absolute path`);
  return path;
}

/** The Localhost profile file the caller must read for this security context, if any. */
export function seccompLocalhostPath(sc: SeccompFields | undefined, field: string): string | undefined {
  const choice = seccompChoice(sc, field);
  return choice.kind === "localhost" ? choice.path : undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** One rule of a Localhost profile, with Docker's optional conditions on caps and arches. */
type ProfileRule = SeccompSyscall & { includeCaps?: string[]; excludeCaps?: string[]; includeArches?: string[]; excludeArches?: string[] };

/** A parsed Localhost profile; `resolve` picks the rules that apply to one container. */
export type LocalhostSeccomp = {
  path: string;
  resolve(capabilities: readonly string[], arch: string | undefined): Seccomp;
};

/**
 * Parses a Localhost profile: the OCI `linux.seccomp` form, or Docker's profile format
 * (`archMap`, `name`, `includes`/`excludes` by capability and arch), which is what most
 * published profiles use. `minKernel` conditions are taken as met: the caller's kernel
 * is what it is, and runc ignores names the kernel does not know.
 */
export function parseLocalhostSeccomp(text: string, path: string, field: string): LocalhostSeccomp {
  const fail = (why: string, cause?: unknown): never => {
    throw new InvalidArgumentError(field, `seccomp profile "${path}" ${why}`, cause === undefined ? undefined : { cause });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail("is not valid JSON", err);
  }
  if (!isObject(doc)) return fail("must be a JSON object");
  if (typeof doc.defaultAction !== "string" || doc.defaultAction === "") fail("has no defaultAction");
  const strings = (v: unknown, what: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) fail(`${what} must be an array of strings`);
    return v as string[];
  };
  let arches = strings(doc.architectures, "architectures");
  if (Array.isArray(doc.archMap)) {
    arches = doc.archMap.flatMap((a, i) => {
      if (!isObject(a) || typeof a.architecture !== "string") fail(`archMap[${i}] has no architecture`);
      const m = a as Json;
      return [m.architecture as string, ...(strings(m.subArchitectures, `archMap[${i}].subArchitectures`) ?? [])];
    });
  }
  const rawRules = doc.syscalls ?? [];
  if (!Array.isArray(rawRules)) return fail("syscalls must be an array");
  const rules = rawRules.map((r, i): ProfileRule => {
    const where = `syscalls[${i}]`;
    if (!isObject(r)) return fail(`${where} must be an object`);
    const names = strings(r.names, `${where}.names`) ?? (typeof r.name === "string" ? [r.name] : undefined);
    if (!names || names.length === 0) fail(`${where} names no syscall`);
    if (typeof r.action !== "string" || r.action === "") fail(`${where} has no action`);
    const rule: ProfileRule = { names: names as string[], action: r.action as string };
    if (typeof r.errnoRet === "number") rule.errnoRet = r.errnoRet;
    if (r.args !== undefined && r.args !== null) {
      if (!Array.isArray(r.args)) fail(`${where}.args must be an array`);
      rule.args = (r.args as unknown[]).map((a, j) => {
        if (!isObject(a) || typeof a.index !== "number" || typeof a.value !== "number" || typeof a.op !== "string") {
          return fail(`${where}.args[${j}] needs index, value and op`);
        }
        const arg: SeccompArg = { index: a.index, value: a.value, op: a.op };
        if (typeof a.valueTwo === "number") arg.valueTwo = a.valueTwo;
        return arg;
      });
    }
    const inc = isObject(r.includes) ? r.includes : {};
    const exc = isObject(r.excludes) ? r.excludes : {};
    const cond = {
      includeCaps: strings(inc.caps, `${where}.includes.caps`),
      excludeCaps: strings(exc.caps, `${where}.excludes.caps`),
      includeArches: strings(inc.arches, `${where}.includes.arches`),
      excludeArches: strings(exc.arches, `${where}.excludes.arches`),
    };
    for (const [k, v] of Object.entries(cond)) if (v && v.length > 0) (rule as Record<string, unknown>)[k] = v;
    return rule;
  });
  const defaultAction = doc.defaultAction as string;
  const defaultErrnoRet = typeof doc.defaultErrnoRet === "number" ? doc.defaultErrnoRet : undefined;
  const flags = strings(doc.flags, "flags");
  return {
    path,
    resolve(capabilities, arch) {
      const caps = new Set(capabilities);
      const applies = (r: ProfileRule): boolean => {
        if (r.includeCaps && !r.includeCaps.every((c) => caps.has(c))) return false;
        if (r.excludeCaps?.some((c) => caps.has(c))) return false;
        // With the host's arch unknown, arch conditions cannot be judged: keep the rule.
        if (arch !== undefined && r.includeArches && !r.includeArches.includes(arch)) return false;
        if (arch !== undefined && r.excludeArches?.includes(arch)) return false;
        return true;
      };
      const out: Seccomp = { defaultAction };
      if (defaultErrnoRet !== undefined) out.defaultErrnoRet = defaultErrnoRet;
      if (arches) out.architectures = [...arches];
      if (flags) out.flags = [...flags];
      out.syscalls = rules.filter(applies).map(({ includeCaps: _a, excludeCaps: _b, includeArches: _c, excludeArches: _d, ...r }) =>
        structuredClone(r),
      );
      return out;
    },
  };
}

/** A resolved choice, ready for `withSeccomp`: what to put in `linux.seccomp` for given caps. */
export type SeccompPlan =
  | { kind: "keep" }
  | { kind: "none" }
  | { kind: "profile"; build: (capabilities: readonly string[]) => Seccomp };

/**
 * The plan for a security context. `privileged` means no seccomp at all (api.proto);
 * `localhost` holds the caller-read profile texts by path; a Localhost profile the caller
 * did not read is an InvalidArgumentError naming the localhost field.
 */
export function seccompPlan(
  sc: SeccompFields | undefined,
  field: string,
  opts: { privileged: boolean; arch?: string; localhost?: Readonly<Record<string, string>> },
): SeccompPlan {
  const choice = seccompChoice(sc, field);
  if (opts.privileged) return { kind: "none" };
  switch (choice.kind) {
    case "unset":
      return { kind: "keep" };
    case "unconfined":
      return { kind: "none" };
    case "runtime-default":
      return { kind: "profile", build: (capabilities) => defaultSeccompProfile({ capabilities, arch: opts.arch }) };
    case "localhost": {
      const lf = sc?.seccomp ? `${field}.seccomp.localhost_ref` : `${field}.seccomp_profile_path`;
      const text = opts.localhost?.[choice.path];
      if (text === undefined) throw new InvalidArgumentError(lf, `seccomp profile "${choice.path}" is not available on this host`);
      const parsed = parseLocalhostSeccomp(text, choice.path, lf);
      return { kind: "profile", build: (capabilities) => parsed.resolve(capabilities, opts.arch) };
    }
  }
}
