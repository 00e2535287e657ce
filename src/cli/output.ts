/** The formats every client verb can print. */
export const OUTPUT_FORMATS = ["json", "yaml", "table"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Turns protobuf values (bigint, bytes) into plain JSON-able values. */
export function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== "$typeName") out[k] = plain(v);
    return out;
  }
  return value;
}

/** Flattens nested objects into dotted keys for the table form. */
function flatten(value: unknown, prefix: string, rows: [string, string][]): void {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, rows);
  } else if (Array.isArray(value) && value.some((v) => v && typeof v === "object")) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, rows));
  } else {
    rows.push([prefix, Array.isArray(value) ? value.join(", ") : String(value)]);
  }
}

/** Renders a value as JSON, YAML or a two-column table. */
export function render(value: unknown, format: OutputFormat): string {
  const data = plain(value);
  switch (format) {
    case "json":
      return JSON.stringify(data, null, 2);
    case "yaml":
      return Bun.YAML.stringify(data, null, 2).trimEnd();
    case "table": {
      const rows: [string, string][] = [];
      flatten(data, "", rows);
      const width = Math.max(0, ...rows.map(([k]) => k.length));
      return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
    }
  }
}
