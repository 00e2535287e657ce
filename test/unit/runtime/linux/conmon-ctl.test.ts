import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeadlineExceededError, FailedPreconditionError } from "../../../../src/errors.ts";
import { reopenLogAndWait, reopenLogRequest, requestLogReopen } from "../../../../src/runtime/linux/conmon-ctl.ts";

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

describe("reopenLogAndWait", () => {
  const log = path.join(dir, "0.log");
  /** Plays conmon: holds the fifo open for reading, and (when told) reopens the log as conmon 2.1 does. */
  const fakeConmon = (pid: number) => {
    fs.writeFileSync(path.join(dir, "conmon.pid"), String(pid));
    const reader = fs.openSync(path.join(dir, "ctl"), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return {
      reopenAfter(ms: number) {
        setTimeout(() => {
          fs.writeFileSync(`${log}.tmp`, "");
          fs.renameSync(`${log}.tmp`, log);
        }, ms);
      },
      close: () => fs.closeSync(reader),
    };
  };

  const waits = [
    { desc: "returns only once the new file is at the log path, after the old one was renamed away", renamedAway: true },
    { desc: "a log that was not renamed away is waited for until conmon has replaced it", renamedAway: false },
  ];
  for (const tc of waits) {
    test(tc.desc, async () => {
      fs.writeFileSync(log, "old\n");
      if (tc.renamedAway) fs.renameSync(log, `${log}.rotated`);
      const conmon = fakeConmon(process.pid);
      try {
        conmon.reopenAfter(100);
        await reopenLogAndWait("c1", dir, log);
        // an early return would find no file, or the old one
        expect(fs.readFileSync(log, "utf8")).toBe("");
      } finally {
        conmon.close();
      }
    });
  }

  test("a log that never appears ends in DeadlineExceeded naming the file", async () => {
    fs.rmSync(log, { force: true });
    const conmon = fakeConmon(process.pid);
    try {
      const err = await reopenLogAndWait("c1", dir, log, 100).catch((e) => e);
      expect(err).toBeInstanceOf(DeadlineExceededError);
      expect(err.message).toContain(log);
    } finally {
      conmon.close();
    }
  });

  test("a monitor that is gone is a failed precondition at once", async () => {
    fs.rmSync(log, { force: true });
    const gone = Bun.spawnSync(["true"]).pid;
    const conmon = fakeConmon(gone);
    try {
      await expect(reopenLogAndWait("c1", dir, log, 10_000)).rejects.toBeInstanceOf(FailedPreconditionError);
    } finally {
      conmon.close();
    }
  });
});
