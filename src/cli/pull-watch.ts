/**
 * Shows a pull's progress while PullImage runs. skiff answers skiff.v1.Images/WatchPull
 * with per-layer events; other runtimes answer Unimplemented, and then a terminal gets
 * an elapsed-time line and a pipe gets nothing. Progress is best effort: no failure here
 * changes what `skiff pull` prints on stdout or how it exits.
 */
import type { CriClient } from "./cri-client.ts";
import { LiveDisplay } from "./live-display.ts";
import { PullProgress } from "./pull-progress.ts";

/** `live`: redraw on a terminal; `log`: plain lines; `off`: nothing. */
export type ProgressMode = "live" | "log" | "off";

export type WatchOptions = {
  mode: ProgressMode;
  write: (text: string) => void;
  columns?: () => number | undefined;
  /** Redraws per second of the live display. */
  redrawMs?: number;
};

/** The mode for a stream: live on a terminal that understands cursor movement. */
export function progressModeFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): ProgressMode {
  return stream.isTTY && env.TERM !== "dumb" ? "live" : "log";
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * Watches the pull of `ref` until `stop` aborts (the caller aborts when PullImage has
 * returned) or the server says the pull ended. Never rejects.
 */
export async function watchPull(client: CriClient, ref: string, stop: AbortSignal, opts: WatchOptions): Promise<void> {
  if (opts.mode === "off") return;
  const started = performance.now();
  const model = new PullProgress();
  const display = opts.mode === "live" ? new LiveDisplay(opts.write, opts.columns) : undefined;
  let watching = true;
  const redraw = () => {
    if (!display) return;
    const elapsed = seconds(performance.now() - started);
    display.draw(watching ? [`Pulling ${ref}  ${model.summary()}  ${elapsed}`, ...model.displayLines()] : [`Pulling ${ref}  ${elapsed}`]);
  };
  const timer = display ? setInterval(redraw, opts.redrawMs ?? 100) : undefined;
  redraw();
  try {
    for await (const e of client.skiff.watchPull({ image: ref }, { signal: stop, timeoutMs: 0 })) {
      for (const line of model.apply(e, performance.now())) if (!display) opts.write(`${line}\n`);
    }
  } catch (err) {
    if (!stop.aborted) {
      // Unimplemented: not skiff. Anything else (a reference the server cannot parse,
      // say): PullImage will report it; until then show the elapsed time.
      watching = false;
      if (display) await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener("abort", () => resolve(), { once: true })));
    }
  } finally {
    clearInterval(timer);
    redraw();
  }
}
