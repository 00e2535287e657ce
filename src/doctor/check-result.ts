/**
 * What one doctor check found. `fail` is kept for what skiff cannot work without (a pod
 * start would fail, or skiff would refuse to serve); what only limits a feature, or is
 * a risk rather than a fault (an old runc, an unsynchronised clock), is a `warn`.
 */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export type CheckResult = {
  /** Stable id for machines, e.g. `runtime.runc`, `cni.plugins`. */
  id: string;
  status: CheckStatus;
  /** What was found, one line. */
  message: string;
  /** What to do about it; only for `warn` and `fail`. */
  fix?: string;
};

const make =
  (status: CheckStatus) =>
  (id: string, message: string, fix?: string): CheckResult =>
    fix === undefined ? { id, status, message } : { id, status, message, fix };

export const ok = make("ok");
export const warn = make("warn");
export const fail = make("fail");
export const skip = make("skip");

/** True when no required check failed. */
export function passed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== "fail");
}
