/**
 * Writes a process's output in the CRI log format the kubelet reads
 * (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`), the way containerd's CRI does on
 * Windows: output is cut into lines (a `\r\n` or `\n` ends one, and is not kept), a line
 * longer than `maxLine` bytes is written in `P` (partial) pieces, and what is left when
 * the stream ends is a last full line.
 */
import * as fs from "node:fs";
import type { PipeReader } from "../../platform/windows-host.ts";

/** containerd's default max_container_log_line_size. */
export const MAX_LOG_LINE = 16 * 1024;

/** RFC3339 with nanoseconds, in UTC: `2024-05-01T10:00:00.123456789Z`. */
export function rfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

export type LogSink = (line: string) => void;

/**
 * A log file appended to (made if missing); lines from both streams interleave as they
 * come. `reopen` starts a new file at the path after the kubelet renamed the old one away
 * (ReopenContainerLog).
 */
export class LogFile {
  #fd: number;

  constructor(private readonly path: string) {
    this.#fd = fs.openSync(path, "a", 0o640);
  }

  readonly write: LogSink = (line) => {
    fs.writeSync(this.#fd, line);
  };

  reopen(): void {
    const next = fs.openSync(this.path, "a", 0o640);
    fs.closeSync(this.#fd);
    this.#fd = next;
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}

/** Pumps `reader` into `sink` until end of file. */
export async function pumpCriLog(reader: PipeReader, stream: "stdout" | "stderr", sink: LogSink, clock: () => bigint, maxLine = MAX_LOG_LINE): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  const emit = (tag: "F" | "P", text: string) => sink(`${rfc3339Nano(clock())} ${stream} ${tag} ${text}\n`);
  /** A line over the limit goes out as partial pieces; a finished line ends with a full entry. */
  const line = (text: string, finished: boolean) => {
    while (Buffer.byteLength(text) > maxLine) {
      emit("P", text.slice(0, maxLine));
      text = text.slice(maxLine);
    }
    if (finished) emit("F", text);
    return text;
  };
  for (;;) {
    const chunk = await reader.read();
    if (chunk === null) break;
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      line(pending.slice(0, nl).replace(/\r$/, ""), true);
      pending = pending.slice(nl + 1);
    }
    pending = line(pending, false);
  }
  pending += decoder.decode();
  if (pending !== "") line(pending.replace(/\r$/, ""), true);
}
