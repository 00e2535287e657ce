import { describe, expect, test } from "bun:test";
import { parseSyncMessages } from "../../../../src/runtime/linux/sync-pipe.ts";

describe("parseSyncMessages", () => {
  const cases = [
    { desc: "a created pid is read", text: '{"data": 4238}\n', msgs: [{ data: 4238 }], rest: "" },
    { desc: "a failure carries conmon's message", text: '{"data": -1, "message": "fake failure here\\n"}\n', msgs: [{ data: -1, message: "fake failure here\n" }], rest: "" },
    { desc: "an exec reports pid then exit code", text: '{"data": 4272}\n{"data": 5}\n', msgs: [{ data: 4272 }, { data: 5 }], rest: "" },
    { desc: "a torn last line is kept for later", text: '{"data": 1}\n{"da', msgs: [{ data: 1 }], rest: '{"da' },
    { desc: "lines that are not messages are skipped", text: 'junk\n{"data": "x"}\n{"data": 2}\n', msgs: [{ data: 2 }], rest: "" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(parseSyncMessages(tc.text)).toEqual({ messages: tc.msgs, rest: tc.rest }));
  }
});
