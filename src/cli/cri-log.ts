/**
 * The CRI container log format, as the kubelet, containerd, CRI-O and conmon write it:
 * one record per line, `<RFC3339Nano time> <stdout|stderr> <tags> <text>`, where the
 * tags are ":"-separated and "P" marks a partial record whose text continues in the
 * next record of the same stream, "F" a full (last) one. Spec:
 * https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md
 *
 * Pure: the caller feeds text as it reads it (whole file or growing tail) and writes
 * what comes out.
 */

import { parseCriLogLine } from "../runtime/linux/cri-log-line.ts";

export type LogStream = "stdout" | "stderr";

/** One record of the file. */
export type CriLogRecord = { time: string; stream: LogStream; partial: boolean; text: string };

/** One line for the user: partial records joined; `time` is that of the first part. */
export type LogLine = {
  time: string;
  stream: LogStream;
  text: string;
  /** False only for a trailing partial record never completed (the container died mid-line). */
  complete: boolean;
};

/** Parses one record (without its "\n"); undefined when it is not in the CRI format. */
export function parseCriLogRecord(line: string): CriLogRecord | undefined {
  const rec = parseCriLogLine(line);
  return rec && { time: rec.time, stream: rec.stream, partial: rec.partial, text: rec.content };
}

/**
 * A stateful reader: `push` takes text in any chunking and returns the lines that are
 * complete; `end` returns what was still pending. Lines that are not CRI records come
 * out as stdout text as they are, rather than being lost.
 */
export function createCriLogDecoder() {
  let rest = "";
  const pending = new Map<LogStream, { time: string; text: string }>();

  const take = (line: string, out: LogLine[]) => {
    const rec = parseCriLogRecord(line);
    if (!rec) {
      if (line !== "") out.push({ time: "", stream: "stdout", text: line, complete: true });
      return;
    }
    const before = pending.get(rec.stream);
    const joined = { time: before?.time ?? rec.time, text: (before?.text ?? "") + rec.text };
    if (rec.partial) {
      pending.set(rec.stream, joined);
      return;
    }
    pending.delete(rec.stream);
    out.push({ time: joined.time, stream: rec.stream, text: joined.text, complete: true });
  };

  return {
    push(chunk: string): LogLine[] {
      const out: LogLine[] = [];
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) take(l, out);
      return out;
    },
    end(): LogLine[] {
      const out: LogLine[] = [];
      if (rest !== "") take(rest, out);
      rest = "";
      for (const [stream, p] of pending) out.push({ time: p.time, stream, text: p.text, complete: false });
      pending.clear();
      return out;
    },
  };
}

/** The text to write for a line: with `--timestamps` the record's time first, as crictl. */
export function formatLogLine(line: LogLine, timestamps: boolean): string {
  const prefix = timestamps && line.time ? `${line.time} ` : "";
  return `${prefix}${line.text}${line.complete ? "\n" : ""}`;
}

/** The last `n` lines (all when n < 0, as crictl's default --tail -1). */
export function lastLines(lines: LogLine[], n: number): LogLine[] {
  if (n < 0 || n >= lines.length) return lines;
  return n === 0 ? [] : lines.slice(-n);
}
