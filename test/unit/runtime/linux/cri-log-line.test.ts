import { describe, expect, test } from "bun:test";
import { parseCriLog, parseCriLogLine, splitCriLog } from "../../../../src/runtime/linux/cri-log-line.ts";

const T = "2026-11-27T05:41:04.734010645+00:00";

describe("parseCriLogLine", () => {
  const cases = [
    { desc: "a full stdout line is parsed", line: `${T} stdout F hello`, want: { time: T, stream: "stdout", partial: false, content: "hello" } },
    { desc: "a partial stderr line is flagged partial", line: `${T} stderr P abc`, want: { time: T, stream: "stderr", partial: true, content: "abc" } },
    { desc: "spaces inside the text are kept", line: `${T} stdout F  a  b `, want: { time: T, stream: "stdout", partial: false, content: " a  b " } },
    { desc: "an empty line of output has empty content", line: `${T} stdout F `, want: { time: T, stream: "stdout", partial: false, content: "" } },
    { desc: "a tag without text still parses", line: `${T} stdout F`, want: { time: T, stream: "stdout", partial: false, content: "" } },
    { desc: "a tag with extra fields is accepted", line: `${T} stdout F:x y`, want: { time: T, stream: "stdout", partial: false, content: "y" } },
    { desc: "an unknown stream is rejected", line: `${T} stdin F x`, want: undefined },
    { desc: "an unknown tag is rejected", line: `${T} stdout X x`, want: undefined },
    { desc: "a line without fields is rejected", line: "garbage", want: undefined },
    { desc: "an empty line is rejected", line: "", want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(parseCriLogLine(tc.line)).toEqual(tc.want as never));
});

describe("parseCriLog", () => {
  test("malformed and torn lines are skipped", () => {
    const text = `${T} stdout F a\nnonsense\n${T} stderr F b\n${T} std`;
    expect(parseCriLog(text).map((l) => l.content)).toEqual(["a", "b"]);
  });
});

describe("splitCriLog", () => {
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  const log = [`${T} stdout F one`, `${T} stderr F e1`, `${T} stdout P par`, `${T} stdout F tial`, `${T} stdout P end`].join("\n");
  const cases = [
    { desc: "streams are separated and newlines restored", max: 0, out: "one\npartial\nend", err: "e1\n", outT: false, errT: false },
    { desc: "output beyond the cap is truncated per stream", max: 5, out: "one\np", err: "e1\n", outT: true, errT: false },
    { desc: "a cap of one byte keeps one byte", max: 1, out: "o", err: "e", outT: true, errT: true },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const r = splitCriLog(log, tc.max);
      expect(dec(r.stdout)).toBe(tc.out);
      expect(dec(r.stderr)).toBe(tc.err);
      expect(r.stdoutTruncated).toBe(tc.outT);
      expect(r.stderrTruncated).toBe(tc.errT);
    });
  }
  test("multi-byte text is counted in bytes", () => {
    const r = splitCriLog(`${T} stdout F héllo`, 3);
    expect(r.stdout.length).toBe(3);
  });
});
