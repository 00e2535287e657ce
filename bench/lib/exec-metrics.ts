/**
 * Reads skiff's `skiff_exec_seconds` histogram (its metrics endpoint) into totals per
 * command and verb, so the pod benchmark can set the time runc, conmon and the CNI
 * plugins took against the time of each CRI call.
 */

/** Seconds and count of one `command`/`verb` pair, e.g. runc/create or cni:bridge/ADD. */
export type ExecTotals = Map<string, { seconds: number; count: number }>;

/** `command verb` → totals, from Prometheus text. */
export function parseExecTotals(text: string): ExecTotals {
  const out: ExecTotals = new Map();
  const re = /^skiff_exec_seconds_(sum|count)\{command="([^"]+)",verb="([^"]+)"\} ([0-9.e+-]+)$/gm;
  for (const m of text.matchAll(re)) {
    const key = `${m[2]} ${m[3]}`;
    const t = out.get(key) ?? { seconds: 0, count: 0 };
    if (m[1] === "sum") t.seconds = Number(m[4]);
    else t.count = Number(m[4]);
    out.set(key, t);
  }
  return out;
}

export async function fetchExecTotals(url: string): Promise<ExecTotals> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return parseExecTotals(await res.text());
}

/** Mean milliseconds per call of `key`, or undefined when it never ran. */
export function meanMs(t: ExecTotals, key: string): number | undefined {
  const e = t.get(key);
  return e && e.count > 0 ? (e.seconds / e.count) * 1000 : undefined;
}

/** Milliseconds per pod of every CNI plugin's `verb`, summed (plugins of one pod run one after another). */
export function cniMsPerPod(t: ExecTotals, verb: string, pods: number): number {
  let seconds = 0;
  for (const [key, e] of t) if (key.startsWith("cni:") && key.endsWith(` ${verb}`)) seconds += e.seconds;
  return (seconds / pods) * 1000;
}
