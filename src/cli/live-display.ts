/**
 * A block of lines on a terminal that is redrawn in place: the cursor goes back up over
 * what was drawn last time (CSI n A), each line is cleared (CSI 2 K) and written again,
 * and leftovers below are erased (CSI J). Lines are cut to the terminal's width, since
 * a wrapped line would take two rows and the next redraw would climb one short.
 * ANSI/ECMA-48 sequences: https://en.wikipedia.org/wiki/ANSI_escape_code#CSI_(Control_Sequence_Introducer)_sequences
 */
const ESC = "\x1b[";

export class LiveDisplay {
  #drawn = 0;

  constructor(
    private readonly write: (text: string) => void,
    /** The terminal's width, read at each draw (it may be resized); undefined = unknown. */
    private readonly columns: () => number | undefined = () => undefined,
  ) {}

  /** Replaces what the last draw showed with `lines`. */
  draw(lines: readonly string[]): void {
    const width = this.columns();
    let out = this.#drawn > 0 ? `${ESC}${this.#drawn}A\r` : "";
    for (const line of lines) out += `${ESC}2K${width && width > 1 ? fit(line, width - 1) : line}\n`;
    if (lines.length < this.#drawn) out += `${ESC}J`;
    this.#drawn = lines.length;
    this.write(out);
  }
}

/** Cuts a line to `width` characters, marking the cut with an ellipsis. */
export function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}
