/**
 * The local terminal for `exec -t` and `attach -t`: raw mode while the session lasts (so
 * keys, Ctrl-C included, go to the remote process), and the terminal's size, first at once
 * and then on every SIGWINCH, as kubectl sends them.
 */
import { LatestQueue } from "../streaming/byte-pipe.ts";
import type { TerminalSize } from "../runtime/process-io.ts";

export function currentSize(): TerminalSize | undefined {
  const { columns, rows } = process.stdout;
  return columns && rows ? { width: columns, height: rows } : undefined;
}

/** Sizes to send: the current one, then one per SIGWINCH until `stop`. */
export function terminalSizes(): { sizes: LatestQueue<TerminalSize>; stop(): void } {
  const sizes = new LatestQueue<TerminalSize>();
  const first = currentSize();
  if (first) sizes.push(first);
  const onWinch = () => {
    const s = currentSize();
    if (s) sizes.push(s);
  };
  process.on("SIGWINCH", onWinch);
  return {
    sizes,
    stop() {
      process.off("SIGWINCH", onWinch);
      sizes.end();
    },
  };
}

/** Puts stdin in raw mode when it is a terminal; returns the undo. */
export function rawMode(): () => void {
  if (!process.stdin.isTTY) return () => {};
  process.stdin.setRawMode(true);
  return () => process.stdin.setRawMode(false);
}
