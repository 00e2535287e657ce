/** How doctor results are shown: one line per check for people, a JSON document for machines. Pure. */
import { type CheckResult, type CheckStatus, passed } from "./check-result.ts";

export const MARKS: Record<CheckStatus, string> = { ok: "✔", warn: "⚠", fail: "✖", skip: "-" };

/** `✔ conmon  conmon 2.1.6 at /usr/bin/conmon`, with ` → fix: ...` on warnings and failures, then a count. */
export function formatDoctorText(results: readonly CheckResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.id.length));
  const lines = results.map((r) => `${MARKS[r.status]} ${r.id.padEnd(width)}  ${r.message}${r.fix ? ` → fix: ${r.fix}` : ""}`);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(`${results.length} checks: ${count("ok")} ok, ${count("warn")} warnings, ${count("fail")} failed, ${count("skip")} skipped`);
  return `${lines.join("\n")}\n`;
}

/** `{"ok": bool, "checks": [...]}`; `ok` is false when a required check failed. */
export function formatDoctorJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: passed(results), checks: results }, null, 2)}\n`;
}
