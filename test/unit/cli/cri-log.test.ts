import { describe, expect, test } from "bun:test";
import { type LogLine, createCriLogDecoder, formatLogLine, lastLines, parseCriLogRecord } from "../../../src/cli/cri-log.ts";

const T = "2026-11-27T05:00:00.123456789Z";

describe("parseCriLogRecord", () => {
  const cases: { desc: string; line: string; want: ReturnType<typeof parseCriLogRecord> }[] = [
    { desc: "a full stdout record keeps its text", line: `${T} stdout F hello world`, want: { time: T, stream: "stdout", partial: false, text: "hello world" } },
    { desc: "a partial stderr record is marked partial", line: `${T} stderr P part`, want: { time: T, stream: "stderr", partial: true, text: "part" } },
    { desc: "spaces inside the text are kept as they are", line: `${T} stdout F  two  spaces `, want: { time: T, stream: "stdout", partial: false, text: " two  spaces " } },
    { desc: "an empty text may come with its separator", line: `${T} stdout F `, want: { time: T, stream: "stdout", partial: false, text: "" } },
    { desc: "an empty text may come without its separator", line: `${T} stdout F`, want: { time: T, stream: "stdout", partial: false, text: "" } },
    { desc: "the first of colon-separated tags says partial or full, as the kubelet reads it", line: `${T} stdout P:x text`, want: { time: T, stream: "stdout", partial: true, text: "text" } },
    { desc: "an unknown stream is not a record", line: `${T} stdin F text`, want: undefined },
    { desc: "a line without tags is not a record", line: `${T} stdout`, want: undefined },
    { desc: "plain text is not a record", line: "hello", want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(parseCriLogRecord(tc.line)).toEqual(tc.want));
});

describe("createCriLogDecoder", () => {
  const texts = (lines: LogLine[]) => lines.map((l) => `${l.stream}:${l.text}${l.complete ? "" : "…"}`);

  test("partial records are joined per stream, with the first part's time", () => {
    const d = createCriLogDecoder();
    const out = d.push(
      [`${T} stdout P hel`, `2026-11-27T05:00:01Z stderr F oops`, `2026-11-27T05:00:02Z stdout P lo `, `2026-11-27T05:00:03Z stdout F world`, ""].join("\n"),
    );
    expect(texts(out)).toEqual(["stderr:oops", "stdout:hello world"]);
    expect(out[1]?.time).toBe(T);
  });

  test("a record split across pushes comes out once it is complete", () => {
    const d = createCriLogDecoder();
    expect(d.push(`${T} stdout F he`)).toEqual([]);
    expect(texts(d.push("llo\nnext"))).toEqual(["stdout:hello"]);
    expect(texts(d.end())).toEqual(["stdout:next"]);
  });

  test("a partial record never completed comes out at the end without a newline", () => {
    const d = createCriLogDecoder();
    d.push(`${T} stdout P half\n`);
    const end = d.end();
    expect(texts(end)).toEqual(["stdout:half…"]);
    expect(formatLogLine(end[0] as LogLine, false)).toBe("half");
  });

  test("lines in another format are passed through to stdout, not lost", () => {
    const d = createCriLogDecoder();
    expect(texts(d.push("not a cri line\n"))).toEqual(["stdout:not a cri line"]);
  });
});

describe("formatLogLine and lastLines", () => {
  const line = (text: string): LogLine => ({ time: T, stream: "stdout", text, complete: true });
  test("--timestamps puts the record's time first", () => expect(formatLogLine(line("x"), true)).toBe(`${T} x\n`));
  test("without --timestamps only the text is written", () => expect(formatLogLine(line("x"), false)).toBe("x\n"));
  const all = [line("a"), line("b"), line("c")];
  const cases: { desc: string; n: number; want: string[] }[] = [
    { desc: "a negative tail keeps every line", n: -1, want: ["a", "b", "c"] },
    { desc: "a tail of zero keeps none", n: 0, want: [] },
    { desc: "a tail of two keeps the last two", n: 2, want: ["b", "c"] },
    { desc: "a tail longer than the log keeps all", n: 10, want: ["a", "b", "c"] },
  ];
  for (const tc of cases) test(tc.desc, () => expect(lastLines(all, tc.n).map((l) => l.text)).toEqual(tc.want));
});
