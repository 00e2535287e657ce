/**
 * Column tables for the list verbs, laid out like crictl's tabwriter output: every
 * column as wide as its widest cell, three spaces between columns, no trailing blanks.
 */
const GAP = "   ";

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((r) => widths.map((w, i) => (r[i] ?? "").padEnd(w)).join(GAP).trimEnd())
    .join("\n");
}
