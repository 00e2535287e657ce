/**
 * Flag values of the list verbs (`pods`, `ps`) turned into CRI filters, and the
 * client-side matches crictl applies on top (name and namespace as regular
 * expressions, image by name or id).
 */
import { ContainerState, PodSandboxState } from "../gen/runtime/v1/api_pb.ts";
import { UsageError } from "./client-args.ts";

/** `--label k=v` (repeatable) → a label selector; a word without "=" is a usage error. */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UsageError(`--label "${v}": expected key=value`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

const POD_STATES: Record<string, PodSandboxState> = {
  ready: PodSandboxState.SANDBOX_READY,
  notready: PodSandboxState.SANDBOX_NOTREADY,
};

const CONTAINER_STATES: Record<string, ContainerState> = {
  created: ContainerState.CONTAINER_CREATED,
  running: ContainerState.CONTAINER_RUNNING,
  exited: ContainerState.CONTAINER_EXITED,
  unknown: ContainerState.CONTAINER_UNKNOWN,
};

/** `--state ready|notready` (any case, as crictl). */
export function parsePodState(value: string): PodSandboxState {
  const s = POD_STATES[value.toLowerCase()];
  if (s === undefined) throw new UsageError(`--state "${value}": expected one of ${Object.keys(POD_STATES).join(", ")}`);
  return s;
}

/** `--state created|running|exited|unknown` (any case, as crictl). */
export function parseContainerState(value: string): ContainerState {
  const s = CONTAINER_STATES[value.toLowerCase()];
  if (s === undefined) throw new UsageError(`--state "${value}": expected one of ${Object.keys(CONTAINER_STATES).join(", ")}`);
  return s;
}

/** A `--name`/`--namespace` pattern: a regular expression, as crictl takes it. */
export function parsePattern(flag: string, value: string | undefined): RegExp | undefined {
  if (value === undefined || value === "") return undefined;
  try {
    return new RegExp(value);
  } catch (err) {
    throw new UsageError(`--${flag} "${value}": ${(err as Error).message}`);
  }
}

/** A citty string flag given once or several times, as a list. */
export function manyValues(v: unknown): string[] {
  if (v === undefined || v === null || v === false) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/**
 * Whether a container's image matches `--image`: the name it was created with, the
 * resolved ref, or a prefix of the image id with or without `sha256:`.
 */
export function imageMatches(image: string, imageRef: string, wanted: string): boolean {
  if (wanted === "") return true;
  const hex = (s: string) => s.replace(/^sha256:/, "");
  if (image === wanted || imageRef === wanted) return true;
  if (image.startsWith(`${wanted}:`) || image.startsWith(`${wanted}@`)) return true;
  if (!/^(sha256:)?[0-9a-f]+$/.test(wanted)) return false;
  const isId = (s: string) => /^(sha256:)?[0-9a-f]{64}$/.test(s);
  return [imageRef, image].some((s) => isId(s) && hex(s).startsWith(hex(wanted)));
}
