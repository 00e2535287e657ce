/**
 * Byte counts for people, the way crictl prints them: decimal units (kB = 1000 B) and
 * three significant digits, as docker/go-units' `HumanSizeWithPrecision(size, 3)` does
 * (https://github.com/docker/go-units/blob/master/size.go). One difference: where Go's
 * `%.3g` would print `1e+03kB` for 999 999 bytes, this moves up a unit and says `1MB`.
 */
const UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"] as const;

export type HumanSizeOptions = {
  /** Put a space between number and unit (`12.3 MB`), as progress lines do. */
  space?: boolean;
};

export function humanSize(bytes: number | bigint, opts: HumanSizeOptions = {}): string {
  let n = Math.max(0, Number(bytes));
  let unit = 0;
  while (n >= 1000 && unit < UNITS.length - 1) {
    n /= 1000;
    unit++;
  }
  let shown = Number(n.toPrecision(3));
  if (shown >= 1000 && unit < UNITS.length - 1) {
    shown = Number((shown / 1000).toPrecision(3));
    unit++;
  }
  return `${shown}${opts.space ? " " : ""}${UNITS[unit]}`;
}
