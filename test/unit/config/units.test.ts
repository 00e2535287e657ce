import { describe, expect, test } from "bun:test";
import {
  formatDuration,
  formatFileMode,
  formatSize,
  parseDuration,
  parseFileMode,
  parseSize,
} from "../../../src/config/index.ts";

describe("parseDuration", () => {
  const cases = [
    { desc: "milliseconds are read as they are", text: "500ms", want: 500 },
    { desc: "seconds are read as thousands of milliseconds", text: "10s", want: 10_000 },
    { desc: "minutes are read", text: "5m", want: 300_000 },
    { desc: "hours are read", text: "4h", want: 14_400_000 },
    { desc: "parts add up", text: "1h30m", want: 5_400_000 },
    { desc: "all four units can be combined", text: "1h1m1s1ms", want: 3_661_001 },
    { desc: "a fraction of a unit is allowed", text: "1.5h", want: 5_400_000 },
    { desc: "a bare zero means no time", text: "0", want: 0 },
    { desc: "a number without a unit is refused", text: "10", want: undefined },
    { desc: "an unknown unit is refused", text: "10d", want: undefined },
    { desc: "spaces are refused", text: "10 s", want: undefined },
    { desc: "a negative duration is refused", text: "-1s", want: undefined },
    { desc: "an empty string is refused", text: "", want: undefined },
    { desc: "less than a millisecond is refused", text: "0.5ms", want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(parseDuration(tc.text)).toBe(tc.want));

  const round = [0, 1, 500, 10_000, 300_000, 5_400_000, 14_400_000, 3_661_001];
  test("formatDuration output parses back to the same number of milliseconds", () => {
    for (const ms of round) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  test("formatDuration prints the shortest form", () => {
    expect([10_000, 5_400_000, 500, 0].map(formatDuration)).toEqual(["10s", "1h30m", "500ms", "0s"]);
  });
});

describe("parseSize", () => {
  const cases = [
    { desc: "a plain number is bytes", text: "1024", want: 1024 },
    { desc: "KiB are 1024 bytes", text: "512KiB", want: 512 * 1024 },
    { desc: "MiB are 1024 KiB", text: "16MiB", want: 16 * 1024 ** 2 },
    { desc: "GiB are 1024 MiB", text: "1GiB", want: 1024 ** 3 },
    { desc: "a fraction of a unit is allowed when it is whole bytes", text: "1.5KiB", want: 1536 },
    { desc: "decimal units are refused as ambiguous", text: "16MB", want: undefined },
    { desc: "garbage is refused", text: "lots", want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(parseSize(tc.text)).toBe(tc.want));

  test("formatSize uses the largest exact binary unit and falls back to bytes", () => {
    expect([16 * 1024 ** 2, 16 * 1024 ** 3, 1536, 1000].map(formatSize)).toEqual(["16MiB", "16GiB", 1536, 1000]);
  });
});

describe("parseFileMode", () => {
  const cases = [
    { desc: "a leading zero is allowed", text: "0660", want: 0o660 },
    { desc: "three digits are enough", text: "600", want: 0o600 },
    { desc: "the 0o prefix is allowed", text: "0o755", want: 0o755 },
    { desc: "a non-octal digit is refused", text: "0680", want: undefined },
    { desc: "more than four digits are refused", text: "07777 7", want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(parseFileMode(tc.text)).toBe(tc.want));

  test("formatFileMode prints four octal digits", () => expect(formatFileMode(0o660)).toBe("0660"));
});
