/**
 * Reads skiff's `skiff_exec_seconds` and `skiff_cri_request_seconds` histograms (its
 * metrics endpoint) into totals, so the pod benchmark can set the time runc, conmon and
 * the CNI plugins took against the time of each CRI call, in skiff and at the client.
 */

/** Seconds and count of one `command`/`verb` pair, e.g. runc/create or cni:bridge/ADD. */
export type ExecTotals = Map<string, { seconds: number; count: number }>;

/**
 * Totals of histogram `name` from Prometheus text, keyed by its label values joined
 * with a space: `runc create` for skiff_exec_seconds, `RunPodSandbox` for
 * skiff_cri_request_seconds.
 */
export function parseTotals(text: string, name: string): ExecTotals {
  const out: ExecTotals = new Map();
  const re = new RegExp(`^${name}_(sum|count)\\{([^}]*)\\} ([0-9.e+-]+)$`, "gm");
  for (const m of text.matchAll(re)) {
    const key = [...m[2]!.matchAll(/="([^"]*)"/g)].map((l) => l[1]).join(" ");
    const t = out.get(key) ?? { seconds: 0, count: 0 };
    if (m[1] === "sum") t.seconds = Number(m[3]);
    else t.count = Number(m[3]);
    out.set(key, t);
  }
  return out;
}

/** `command verb` → totals of skiff_exec_seconds. */
export const parseExecTotals = (text: string): ExecTotals => parseTotals(text, "skiff_exec_seconds");

/** The exec totals and the CRI call totals (server-side time) from skiff's metrics endpoint. */
export async function fetchTotals(url: string): Promise<{ exec: ExecTotals; cri: ExecTotals }> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const text = await res.text();
  return { exec: parseExecTotals(text), cri: parseTotals(text, "skiff_cri_request_seconds") };
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
