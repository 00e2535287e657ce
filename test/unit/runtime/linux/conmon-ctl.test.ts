import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FailedPreconditionError } from "../../../../src/errors.ts";
import { reopenLogRequest, requestLogReopen } from "../../../../src/runtime/linux/conmon-ctl.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "conmon-ctl-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("the reopen request is kind 2 with no size", () => expect(reopenLogRequest()).toBe("2 0 0\n"));

test("a container without a ctl fifo is a failed precondition, not a hang", () => {
  expect(() => requestLogReopen("c1", dir)).toThrow(FailedPreconditionError);
});

test("a fifo nobody reads (conmon gone) fails at once", () => {
  Bun.spawnSync(["mkfifo", path.join(dir, "ctl")]);
  expect(() => requestLogReopen("c1", dir)).toThrow(FailedPreconditionError);
});

test("with conmon reading the fifo, the request arrives as one line", () => {
  const reader = fs.openSync(path.join(dir, "ctl"), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    requestLogReopen("c1", dir);
    const buf = Buffer.alloc(64);
    const n = fs.readSync(reader, buf);
    expect(buf.subarray(0, n).toString()).toBe("2 0 0\n");
  } finally {
    fs.closeSync(reader);
  }
});
