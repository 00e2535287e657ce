import { describe, expect, test } from "bun:test";
import { createLogger, formatArg, type LogLevel } from "../../src/logger.ts";

function capture(level: LogLevel | "silent") {
  const lines: [string, LogLevel][] = [];
  const log = createLogger({ level, write: (line, l) => lines.push([line, l]), now: () => new Date(Date.UTC(2026, 11, 6, 7, 30, 0, 123)) });
  return { log, lines };
}

describe("createLogger", () => {
  test("a line is the UTC time, the level and the arguments joined by spaces", () => {
    const { log, lines } = capture("info");
    log.info("serving on", "/run/skiff/skiff.sock", 3);
    expect(lines).toEqual([["2026-12-06T07:30:00.123Z info serving on /run/skiff/skiff.sock 3", "info"]]);
  });

  const cases: { level: LogLevel | "silent"; written: LogLevel[] }[] = [
    { level: "debug", written: ["debug", "info", "warn", "error"] },
    { level: "info", written: ["info", "warn", "error"] },
    { level: "warn", written: ["warn", "error"] },
    { level: "error", written: ["error"] },
    { level: "silent", written: [] },
  ];
  for (const tc of cases) {
    test(`at ${tc.level}, writes ${tc.written.join(", ") || "nothing"}`, () => {
      const { log, lines } = capture(tc.level);
      log.debug("d");
      log.info("i");
      log.warn("w");
      log.error("e");
      expect(lines.map(([, l]) => l)).toEqual(tc.written);
    });
  }
});

describe("formatArg", () => {
  test("an error comes with its stack and its causes", () => {
    const err = new Error("create container", { cause: new Error("runc: exit status 1") });
    const text = formatArg(err);
    expect(text).toStartWith("Error: create container\n");
    expect(text).toContain("caused by: Error: runc: exit status 1");
  });

  test("objects are inspected on one line, strings left as they are", () => {
    expect(formatArg({ pid: 42, ids: ["a"] })).toBe('{ pid: 42, ids: [ "a" ] }');
    expect(formatArg("plain")).toBe("plain");
  });
});
