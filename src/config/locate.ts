/**
 * Line numbers for config errors. `Bun.TOML.parse` returns plain values with no positions,
 * and its syntax errors carry no line either, so this module finds them from the text:
 *
 * - `KeyLocator` scans the TOML once and records, for every key path, the line where it is
 *   first defined: `[table]` and `[[array]]` headers (quoted segments included, as in
 *   `[runtimes."my-handler"]`), `key = value` lines, dotted keys (`a.b = 1`) and the keys of
 *   inline tables. The scan skips over string and array values (multi-line ones too), so
 *   text inside a value is never mistaken for a key.
 * - `findSyntaxErrorLine` finds where a parse error starts by parsing ever longer prefixes
 *   of the file until one fails with the same message.
 */

const SEP = "\u0000";
const keyOf = (path: readonly string[]) => path.join(SEP);
const BARE = /[A-Za-z0-9_-]/;

export class KeyLocator {
  readonly #lines = new Map<string, number>();

  constructor(text: string) {
    new Scanner(text, (path, line) => {
      // A key and every table above it: `a.b.c = 1` also defines tables a and a.b.
      for (let n = 1; n <= path.length; n++) {
        const k = keyOf(path.slice(0, n));
        if (!this.#lines.has(k)) this.#lines.set(k, line);
      }
    }).run();
  }

  /** Line of `path`, else of its nearest enclosing table that appears in the text. */
  lineOf(path: readonly string[]): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const line = this.#lines.get(keyOf(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

class Scanner {
  #pos = 0;
  #line = 1;

  constructor(
    readonly src: string,
    readonly record: (path: string[], line: number) => void,
  ) {}

  run(): void {
    let table: string[] = [];
    for (;;) {
      this.#skipBlank();
      if (this.#pos >= this.src.length) return;
      const line = this.#line;
      if (this.#at("[")) {
        this.#pos += this.#at("[[") ? 2 : 1;
        const key = this.#key();
        if (key !== undefined) {
          table = key;
          this.record(key, line);
        }
      } else {
        const key = this.#key();
        if (key !== undefined && this.#at("=")) {
          this.#pos++;
          const path = [...table, ...key];
          this.record(path, line);
          this.#value(path);
        }
      }
      this.#skipRestOfLine();
    }
  }

  #at(s: string): boolean {
    return this.src.startsWith(s, this.#pos);
  }

  #advance(): void {
    if (this.src[this.#pos] === "\n") this.#line++;
    this.#pos++;
  }

  #skipSpaces(): void {
    while (this.src[this.#pos] === " " || this.src[this.#pos] === "\t") this.#pos++;
  }

  /** Spaces, newlines and comments. */
  #skipBlank(): void {
    while (this.#pos < this.src.length) {
      const c = this.src[this.#pos];
      if (c === "#") {
        while (this.#pos < this.src.length && this.src[this.#pos] !== "\n") this.#pos++;
      } else if (c === " " || c === "\t" || c === "\r" || c === "\n") this.#advance();
      else return;
    }
  }

  #skipRestOfLine(): void {
    while (this.#pos < this.src.length && this.src[this.#pos] !== "\n") this.#pos++;
  }

  /** A dotted key (`a."b.c".'d'`), or undefined if there is none here. */
  #key(): string[] | undefined {
    const parts: string[] = [];
    for (;;) {
      this.#skipSpaces();
      const part = this.#keyPart();
      if (part === undefined) return undefined;
      parts.push(part);
      this.#skipSpaces();
      if (!this.#at(".")) return parts;
      this.#pos++;
    }
  }

  #keyPart(): string | undefined {
    const c = this.src[this.#pos];
    if (c === '"') return this.#basicString();
    if (c === "'") {
      const end = this.src.indexOf("'", this.#pos + 1);
      if (end < 0) return undefined;
      const s = this.src.slice(this.#pos + 1, end);
      this.#pos = end + 1;
      return s;
    }
    const start = this.#pos;
    while (this.#pos < this.src.length && BARE.test(this.src[this.#pos] as string)) this.#pos++;
    return this.#pos > start ? this.src.slice(start, this.#pos) : undefined;
  }

  /** A single-line basic string at the cursor, with its escapes decoded. */
  #basicString(): string | undefined {
    let out = "";
    this.#pos++;
    while (this.#pos < this.src.length) {
      const c = this.src[this.#pos] as string;
      if (c === '"') {
        this.#pos++;
        return out;
      }
      if (c === "\n") return undefined;
      if (c === "\\") {
        const e = this.src[this.#pos + 1] ?? "";
        const simple: Record<string, string> = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", e: "\u001b", '"': '"', "\\": "\\" };
        const width = e === "u" ? 4 : e === "U" ? 8 : e === "x" ? 2 : 0;
        if (width > 0) {
          out += String.fromCodePoint(Number.parseInt(this.src.slice(this.#pos + 2, this.#pos + 2 + width), 16) || 0);
          this.#pos += 2 + width;
        } else {
          out += simple[e] ?? e;
          this.#pos += 2;
        }
        continue;
      }
      out += c;
      this.#pos++;
    }
    return undefined;
  }

  /** Skips one value; inside inline tables, records keys under `path` (not inside arrays, which have no key of their own). */
  #value(path: string[] | undefined): void {
    this.#skipSpaces();
    if (this.#at('"""') || this.#at("'''")) {
      const quote = this.src.slice(this.#pos, this.#pos + 3);
      this.#pos += 3;
      while (this.#pos < this.src.length && !this.#at(quote)) {
        if (quote === '"""' && this.src[this.#pos] === "\\") this.#advance();
        this.#advance();
      }
      this.#pos += 3;
      // Up to two quotes right before the delimiter belong to the string.
      for (let i = 0; i < 2 && this.src[this.#pos] === quote[0]; i++) this.#pos++;
    } else if (this.#at('"')) {
      this.#basicString();
    } else if (this.#at("'")) {
      const end = this.src.indexOf("'", this.#pos + 1);
      this.#pos = end < 0 ? this.src.length : end + 1;
    } else if (this.#at("[") || this.#at("{")) {
      const inline = this.#at("{");
      const close = inline ? "}" : "]";
      this.#pos++;
      for (;;) {
        this.#skipBlank();
        if (this.#pos >= this.src.length) return;
        if (this.#at(close)) {
          this.#pos++;
          return;
        }
        if (this.#at(",")) {
          this.#pos++;
          continue;
        }
        const before = this.#pos;
        if (inline) {
          const line = this.#line;
          const key = this.#key();
          if (key !== undefined && this.#at("=")) {
            this.#pos++;
            const inner = path === undefined ? undefined : [...path, ...key];
            if (inner !== undefined) this.record(inner, line);
            this.#value(inner);
          }
        } else {
          this.#value(undefined);
        }
        if (this.#pos === before) this.#pos++; // never stall on text the scan does not understand
      }
    } else {
      while (this.#pos < this.src.length && !",]}#\n".includes(this.src[this.#pos] as string)) this.#pos++;
    }
  }
}

/**
 * The 1-based line where a TOML syntax error starts: the shortest run of leading lines that
 * fails to parse with the same message as the whole text. Bun's parser reads front to back,
 * so once the faulty line is included it fails the same way. Gives up (undefined) on very
 * long texts, to keep this quadratic search cheap.
 */
export function findSyntaxErrorLine(text: string, message: string, maxLines = 5000): number | undefined {
  const ends: number[] = [];
  // Each prefix keeps its line's newline: without it, a string left open on the faulty
  // line fails with a different message ("unterminated string" vs "...newlines must be escaped").
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) ends.push(i + 1);
  if (ends.at(-1) !== text.length) ends.push(text.length);
  if (ends.length > maxLines) return undefined;
  for (let k = 0; k < ends.length; k++) {
    try {
      Bun.TOML.parse(text.slice(0, ends[k]));
    } catch (err) {
      if (err instanceof Error && err.message === message) return k + 1;
    }
  }
  return undefined;
}
