/**
 * The state of one pull as skiff.v1.Images/WatchPull reports it, and the two ways
 * `skiff pull` shows it: lines for a live display (one per layer, redrawn), and log
 * lines for a pipe or a file (one per layer and state change, never one per chunk).
 * Pure: the caller passes the clock.
 */
import { humanSize } from "./human-size.ts";
import { shortDigest } from "./short-id.ts";

export type LayerState = "waiting" | "downloading" | "downloaded" | "unpacked" | "cached";

export type LayerProgress = {
  digest: string;
  state: LayerState;
  received: number;
  /** Bytes expected; 0 when not known yet. */
  total: number;
};

/** A PullEvent as it comes off the wire (`skiff.v1.PullEvent`; int64 fields are bigint). */
export type WirePullEvent = {
  kind: string;
  digest: string;
  received: bigint;
  total: bigint;
  cached: boolean;
  message: string;
  layers: readonly { digest: string; size: bigint }[];
};

/** How often a log line may report a layer that is still downloading. */
export const LOG_EVERY_MS = 5000;

const BAR_WIDTH = 24;

/** `[=========>          ]` for a fraction in [0, 1]. */
export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  if (filled >= width) return `[${"=".repeat(width)}]`;
  return `[${"=".repeat(filled)}>${" ".repeat(width - filled - 1)}]`;
}

/** `3.2 MB / 12.3 MB`, or just the received bytes when the total is unknown. */
export function bytesPair(received: number, total: number): string {
  const got = humanSize(received, { space: true });
  return total > 0 ? `${got} / ${humanSize(total, { space: true })}` : got;
}

/** One line of the live display. */
export function layerLine(layer: LayerProgress, barWidth = BAR_WIDTH): string {
  const done = layer.state !== "waiting" && layer.state !== "downloading";
  const received = done && layer.total > 0 ? layer.total : layer.received;
  const fraction = done ? 1 : layer.total > 0 ? received / layer.total : 0;
  return `${shortDigest(layer.digest)}  ${progressBar(fraction, barWidth)}  ${bytesPair(received, layer.total).padStart(19)}  ${layer.state}`;
}

export class PullProgress {
  /** Layers in the order the image lists them (or first heard of). */
  readonly layers = new Map<string, LayerProgress>();
  manifest = "";
  /** The image id, once the pull is done. */
  id = "";
  /** The error, if the pull failed. */
  failure = "";
  readonly #lastLogged = new Map<string, number>();

  constructor(readonly logEveryMs = LOG_EVERY_MS) {}

  #layer(digest: string): LayerProgress {
    let l = this.layers.get(digest);
    if (!l) this.layers.set(digest, (l = { digest, state: "waiting", received: 0, total: 0 }));
    return l;
  }

  /** Whether the pull has ended (done or failed). */
  get finished(): boolean {
    return this.id !== "" || this.failure !== "";
  }

  /** Applies one event; returns the log lines it is worth (often none). */
  apply(e: WirePullEvent, now: number): string[] {
    switch (e.kind) {
      case "resolved": {
        this.manifest = e.digest;
        let bytes = 0;
        for (const l of e.layers) {
          const layer = this.#layer(l.digest);
          if (layer.total === 0) layer.total = Number(l.size);
          bytes += Number(l.size);
        }
        const n = e.layers.length;
        return [`resolved ${shortDigest(e.digest)}: ${n} layer${n === 1 ? "" : "s"}, ${humanSize(bytes, { space: true })}`];
      }
      case "download": {
        const layer = this.#layer(e.digest);
        if (layer.state === "waiting") layer.state = "downloading";
        layer.received = Number(e.received);
        if (e.total > 0n) layer.total = Number(e.total);
        const last = this.#lastLogged.get(e.digest);
        if (last === undefined) {
          this.#lastLogged.set(e.digest, now);
          return [];
        }
        if (now - last < this.logEveryMs) return [];
        this.#lastLogged.set(e.digest, now);
        return [`${shortDigest(e.digest)} downloading ${bytesPair(layer.received, layer.total)}`];
      }
      case "downloaded": {
        const layer = this.#layer(e.digest);
        if (layer.state === "unpacked" || layer.state === "cached") return [];
        layer.state = e.cached ? "cached" : "downloaded";
        if (layer.total > 0) layer.received = layer.total;
        if (e.cached) return [];
        const size = layer.total > 0 ? ` ${humanSize(layer.total, { space: true })}` : "";
        return [`${shortDigest(e.digest)} downloaded${size}`];
      }
      case "unpacked": {
        const layer = this.#layer(e.digest);
        layer.state = e.cached ? "cached" : "unpacked";
        return [`${shortDigest(e.digest)} ${e.cached ? "cached" : "unpacked"}`];
      }
      case "done":
        this.id = e.message;
        return [];
      case "failed":
        this.failure = e.message || "failed";
        return [];
      default:
        // a kind this client does not know yet: ignore, the pull's answer still comes
        return [];
    }
  }

  /** Lines for the live display: one per layer. */
  displayLines(barWidth = BAR_WIDTH): string[] {
    return [...this.layers.values()].map((l) => layerLine(l, barWidth));
  }

  /** `2/3 layers` done, for the display's header. */
  summary(): string {
    const all = [...this.layers.values()];
    const done = all.filter((l) => l.state === "unpacked" || l.state === "cached").length;
    return all.length === 0 ? "resolving" : `${done}/${all.length} layers`;
  }
}
