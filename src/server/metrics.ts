import { Code, RpcError } from "./rpc-error.ts";
import type { Interceptor } from "./rpc.ts";
import { InvalidArgumentError } from "../errors.ts";

/** Upper bounds (seconds) of the request latency histogram buckets. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Series = { count: number; sum: number; buckets: number[] };

/** Counts `seconds` into the series of `key`, made on first use. */
function add(series: Map<string, Series>, key: string, seconds: number): void {
  let s = series.get(key);
  if (!s) series.set(key, (s = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) }));
  s.count++;
  s.sum += seconds;
  BUCKETS.forEach((b, i) => {
    if (seconds <= b) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
  });
}

function renderHistogram(out: string[], name: string, series: Map<string, Series>, labels: (key: string) => string): void {
  // Code-unit order: stable, and no ICU collator kept resident for a scrape (see logger.ts).
  for (const [key, s] of [...series].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const l = labels(key);
    BUCKETS.forEach((b, i) => out.push(`${name}_bucket{${l},le="${b}"} ${s.buckets[i]}`));
    out.push(`${name}_bucket{${l},le="+Inf"} ${s.count}`);
    out.push(`${name}_sum{${l}} ${s.sum}`);
    out.push(`${name}_count{${l}} ${s.count}`);
  }
}

/**
 * In-process counters for the Prometheus text endpoint: CRI calls by method and code, a
 * latency histogram per method, and how long the commands skiff runs for a pod take (the
 * OCI runtime with conmon, the CNI plugins), so an operator can tell skiff's own time in
 * a pod start from theirs. Kept deliberately small; no client library.
 */
export class Metrics {
  readonly #calls = new Map<string, number>();
  readonly #latency = new Map<string, Series>();
  readonly #exec = new Map<string, Series>();

  constructor(private readonly version: string) {}

  observe(method: string, code: Code | "OK", seconds: number): void {
    const codeName = code === "OK" ? "OK" : Code[code];
    const key = `${method}\u0000${codeName}`;
    this.#calls.set(key, (this.#calls.get(key) ?? 0) + 1);
    add(this.#latency, method, seconds);
  }

  /**
   * One run of an external command: `command` is what ran (a runtime handler such as
   * "runc", or "cni:bridge"), `verb` what it was asked (create, start, ADD...).
   */
  readonly observeExec = (command: string, verb: string, seconds: number): void => {
    add(this.#exec, `${command}\u0000${verb}`, seconds);
  };

  /** The Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const out: string[] = [
      "# HELP skiff_build_info skiff's version.",
      "# TYPE skiff_build_info gauge",
      `skiff_build_info{version="${this.version}"} 1`,
      "# HELP skiff_cri_requests_total CRI calls handled, by method and gRPC code.",
      "# TYPE skiff_cri_requests_total counter",
    ];
    for (const [key, n] of [...this.#calls].sort()) {
      const [method, code] = key.split("\u0000");
      out.push(`skiff_cri_requests_total{method="${method}",code="${code}"} ${n}`);
    }
    out.push("# HELP skiff_cri_request_seconds CRI call latency.", "# TYPE skiff_cri_request_seconds histogram");
    renderHistogram(out, "skiff_cri_request_seconds", this.#latency, (method) => `method="${method}"`);
    out.push(
      "# HELP skiff_exec_seconds Time of each external command skiff ran: the OCI runtime (create includes conmon) and CNI plugins.",
      "# TYPE skiff_exec_seconds histogram",
    );
    renderHistogram(out, "skiff_exec_seconds", this.#exec, (key) => {
      const [command, verb] = key.split("\u0000");
      return `command="${command}",verb="${verb}"`;
    });
    return `${out.join("\n")}\n`;
  }
}

/** Records every call's method, code and duration. */
export function createMetricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    try {
      const res = await next(req);
      metrics.observe(req.method.name, "OK", (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      metrics.observe(req.method.name, RpcError.from(err).code, (performance.now() - started) / 1000);
      throw err;
    }
  };
}

/** Splits "host:port" (IPv6 in brackets) for the metrics listener. */
export function parseHostPort(address: string, field = "server.metrics_address"): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new InvalidArgumentError(field, `"${address}" is not host:port`);
  return { hostname: m[1] ?? m[2] ?? "", port };
}

/** Serves GET /metrics over plain HTTP; returns a stop function and the bound port. */
export function serveMetrics(address: string, metrics: Metrics): { port: number; stop(): void } {
  const { hostname, port } = parseHostPort(address);
  const server = Bun.serve({
    hostname,
    port,
    fetch(req) {
      if (new URL(req.url).pathname !== "/metrics") return new Response("not found\n", { status: 404 });
      return new Response(metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } });
    },
  });
  return { port: server.port ?? port, stop: () => server.stop(true) };
}
