/**
 * Terminal sizes from a resize stream. client-go writes one JSON object per size,
 * `{"Width":80,"Height":24}`, back to back (a json.Encoder, so each ends in a newline);
 * over WebSocket each message on the resize channel holds one. The decoder cuts the byte
 * stream at the end of each top-level object, so an object split across frames or two in
 * one frame both work, and it refuses objects past a small size, so a peer cannot make it
 * buffer without end. Field names match case-insensitively, as Go's json does.
 */
import type { TerminalSize } from "../../runtime/process-io.ts";

const MAX_OBJECT_BYTES = 4096;

export class ResizeDecoder {
  #buf = "";
  #depth = 0;
  #inString = false;
  #escaped = false;
  #scanned = 0;

  /** Feeds bytes; returns the sizes completed by them. @throws Error on junk */
  push(chunk: Uint8Array): TerminalSize[] {
    this.#buf += Buffer.from(chunk).toString("utf8");
    const out: TerminalSize[] = [];
    let start = 0;
    for (let i = this.#scanned; i < this.#buf.length; i++) {
      const c = this.#buf[i];
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === "\\") this.#escaped = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (c === '"') this.#inString = true;
      else if (c === "{") this.#depth++;
      else if (c === "}") {
        this.#depth--;
        if (this.#depth < 0) throw new Error("resize stream: unbalanced '}'");
        if (this.#depth === 0) {
          out.push(parseSize(this.#buf.slice(start, i + 1)));
          start = i + 1;
        }
      } else if (this.#depth === 0 && !/\s/.test(c!)) {
        throw new Error(`resize stream: unexpected ${JSON.stringify(c)} between objects`);
      }
    }
    this.#buf = this.#buf.slice(start);
    this.#scanned = this.#buf.length;
    if (this.#buf.length > MAX_OBJECT_BYTES) throw new Error(`resize stream: object longer than ${MAX_OBJECT_BYTES} bytes`);
    return out;
  }
}

function parseSize(text: string): TerminalSize {
  const v = JSON.parse(text) as Record<string, unknown>;
  const field = (name: string) => {
    const key = Object.keys(v).find((k) => k.toLowerCase() === name);
    const n = key === undefined ? 0 : v[key];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 0xffff) throw new Error(`resize stream: ${name} ${JSON.stringify(n)} is not a uint16`);
    return n;
  };
  return { width: field("width"), height: field("height") };
}
