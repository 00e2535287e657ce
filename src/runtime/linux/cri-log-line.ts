/**
 * The CRI container log format that conmon writes with `-l k8s-file:<path>` and that the
 * kubelet reads: one line per chunk, `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`,
 * where `P` marks a partial line continued by the next entry of the same stream.
 * See https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md
 * Pure: reusable by `skiff logs` and by ExecSync output parsing.
 */

export type CriStream = "stdout" | "stderr";

export type CriLogLine = {
  /** The timestamp as written (RFC 3339 with nanoseconds), kept as text to lose no precision. */
  time: string;
  stream: CriStream;
  /** True for `P`: the text continues in the next entry of the same stream. */
  partial: boolean;
  /** The text, without the trailing newline that ends the log line. */
  content: string;
};

/** Parses one log line (without its newline); undefined for anything malformed. */
export function parseCriLogLine(line: string): CriLogLine | undefined {
  const s1 = line.indexOf(" ");
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(" ", s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.slice(s1 + 1, s2);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  const tag = line.slice(s2 + 1, s2 + 2);
  if (tag !== "F" && tag !== "P") return undefined;
  // the tag may carry more fields separated by ':' (e.g. "F:x"), reserved by the proposal
  const s3 = line.indexOf(" ", s2 + 1);
  const content = s3 < 0 ? "" : line.slice(s3 + 1);
  if (s3 >= 0 && !/^[FP](:[^ ]*)?$/.test(line.slice(s2 + 1, s3))) return undefined;
  return { time: line.slice(0, s1), stream, partial: tag === "P", content };
}

/** Splits a whole log text into entries, skipping malformed lines (a torn last line included). */
export function parseCriLog(text: string): CriLogLine[] {
  const out: CriLogLine[] = [];
  for (const line of text.split("\n")) {
    const e = parseCriLogLine(line);
    if (e) out.push(e);
  }
  return out;
}

export type SplitOutput = { stdout: Uint8Array; stderr: Uint8Array; stdoutTruncated: boolean; stderrTruncated: boolean };

/**
 * Rebuilds the bytes each stream carried: a full (`F`) entry ends with the newline the
 * process wrote, a partial (`P`) entry does not. Each stream is capped at maxBytes
 * (0 or less = no cap); the excess is dropped and flagged.
 */
export function splitCriLog(text: string, maxBytes: number): SplitOutput {
  const enc = new TextEncoder();
  const parts: Record<CriStream, Uint8Array[]> = { stdout: [], stderr: [] };
  const sizes: Record<CriStream, number> = { stdout: 0, stderr: 0 };
  const truncated: Record<CriStream, boolean> = { stdout: false, stderr: false };
  for (const e of parseCriLog(text)) {
    let bytes = enc.encode(e.partial ? e.content : `${e.content}\n`);
    if (maxBytes > 0) {
      const room = maxBytes - sizes[e.stream];
      if (room <= 0) {
        if (bytes.length > 0) truncated[e.stream] = true;
        continue;
      }
      if (bytes.length > room) {
        bytes = bytes.subarray(0, room);
        truncated[e.stream] = true;
      }
    }
    parts[e.stream].push(bytes);
    sizes[e.stream] += bytes.length;
  }
  return {
    stdout: concat(parts.stdout, sizes.stdout),
    stderr: concat(parts.stderr, sizes.stderr),
    stdoutTruncated: truncated.stdout,
    stderrTruncated: truncated.stderr,
  };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
