/**
 * conmon's sync pipe. conmon reads the fd number from the `_OCI_SYNCPIPE` environment
 * variable and writes one JSON object per line: `{"data": <pid>}` once the runtime has
 * created the container or exec (with `--api-version 1`), `{"data": -1, "message": "..."}`
 * when it failed (the message is the runtime's stderr), and, for an exec, a second line
 * with the exit code, or `{"data": -1, "message": "command timed out"}` after `-T`.
 * Verified on conmon 2.1.6 on this host. The fd is a socketpair end that Bun.spawn makes for
 * a `"pipe"` slot at index 3; it is non-blocking, so it is read with `Bun.file(fd).stream()`
 * (node:net sockets on a raw fd did not deliver data under Bun 1.4.4).
 */
import * as fs from "node:fs";

export type SyncMessage = { data: number; message?: string };

/** Parses the complete lines in `text`; a torn last line is left for the next read. */
export function parseSyncMessages(text: string): { messages: SyncMessage[]; rest: string } {
  const messages: SyncMessage[] = [];
  const lines = text.split("\n");
  const rest = lines.pop() ?? "";
  for (const line of lines) {
    if (!line.trim()) continue;
    const m = parseSyncLine(line);
    if (m) messages.push(m);
  }
  return { messages, rest };
}

function parseSyncLine(line: string): SyncMessage | undefined {
  try {
    const v = JSON.parse(line) as { data?: unknown; message?: unknown };
    if (typeof v.data !== "number") return undefined;
    return typeof v.message === "string" ? { data: v.data, message: v.message } : { data: v.data };
  } catch {
    return undefined;
  }
}

type ChunkReader = { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };

/** Reads messages from a sync pipe fd as they come; owns the fd and closes it when done. */
export class SyncPipeReader {
  private readonly reader: ChunkReader;
  private readonly decoder = new TextDecoder();
  private buffered = "";
  private queue: SyncMessage[] = [];
  private closed = false;
  /** A read still in flight after a timeout; the next call waits on it rather than losing it. */
  private pending: Promise<{ done: boolean; value?: Uint8Array }> | undefined;

  constructor(private readonly fd: number) {
    this.reader = Bun.file(fd).stream().getReader();
  }

  /** The next message, or undefined at EOF (conmon gone) or when timeoutMs (> 0) runs out. */
  async next(timeoutMs: number): Promise<SyncMessage | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline =
      timeoutMs > 0
        ? new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), timeoutMs);
          })
        : undefined;
    try {
      while (this.queue.length === 0) {
        if (this.closed) return undefined;
        this.pending ??= this.reader.read();
        const r = deadline ? await Promise.race([this.pending, deadline]) : await this.pending;
        if (r === "timeout") return undefined;
        this.pending = undefined;
        if (r.done || !r.value) {
          this.closed = true;
          break;
        }
        const parsed = parseSyncMessages(this.buffered + this.decoder.decode(r.value, { stream: true }));
        this.buffered = parsed.rest;
        this.queue.push(...parsed.messages);
      }
      return this.queue.shift();
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Stops reading and closes the fd; conmon may keep its end open for the container's life. */
  async close(): Promise<void> {
    this.closed = true;
    await this.reader.cancel().catch(() => {});
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by the stream
    }
  }
}
