/**
 * Parsing and printing of the unit-bearing values in the config: durations, byte sizes and
 * octal file modes. Each parser returns `undefined` for input it does not accept, so the
 * caller can word the error with the key's name; each formatter's output parses back to the
 * same value.
 */

const DURATION_UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
// "ms" is tried before "m" so that "500ms" is not read as "500m" followed by a stray "s".
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/**
 * Parses a Go-style duration ("500ms", "10s", "5m", "4h", "1h30m", "1.5h", "0") to
 * milliseconds. Units are h, m, s and ms; parts may repeat and add up. Anything finer than a
 * millisecond, negative, or without a unit (other than "0") is rejected.
 */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text === "") return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * (DURATION_UNITS_MS[m[2] as string] as number);
  }
  DURATION_PART.lastIndex = 0;
  if (!Number.isSafeInteger(total)) {
    // Tolerate float noise such as 0.1h = 360000.00000000006.
    const rounded = Math.round(total);
    if (Math.abs(total - rounded) > 1e-6 || !Number.isSafeInteger(rounded)) return undefined;
    return rounded;
  }
  return total;
}

/** Prints milliseconds as the shortest duration string, e.g. 5_400_000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of Object.entries(DURATION_UNITS_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};
const SIZE_TEXT = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/;

/**
 * Parses a byte size: a plain integer string ("1024") or a number with a binary unit
 * ("512KiB", "16MiB", "1.5GiB"). Decimal units such as "MB" are refused on purpose: tools
 * disagree on whether they mean 1000 or 1024, and a layer bound should not be a guess.
 */
export function parseSize(text: string): number | undefined {
  const m = SIZE_TEXT.exec(text.trim());
  if (m === null) return undefined;
  const unit = m[2] === "" ? "B" : (m[2] as string);
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) return undefined;
  const bytes = Number(m[1]) * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Prints a byte count with the largest binary unit that divides it exactly ("16MiB"), else as a number. */
export function formatSize(bytes: number): string | number {
  const units = Object.entries(SIZE_UNITS).reverse();
  for (const [unit, size] of units) {
    if (size > 1 && bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes;
}

/** Parses an octal permission string ("0660", "660", "0o660") to a number up to 0o7777. */
export function parseFileMode(text: string): number | undefined {
  const m = /^(?:0o)?([0-7]{1,4})$/.exec(text);
  if (m === null) return undefined;
  return Number.parseInt(m[1] as string, 8);
}

/** Prints a mode as four octal digits, e.g. 0o660 → "0660". */
export function formatFileMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}
