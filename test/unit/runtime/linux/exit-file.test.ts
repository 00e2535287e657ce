import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseExitCode } from "../../../../src/runtime/linux/exit-file.ts";
import { readExitInfo, waitForExit } from "../../../../src/runtime/linux/exit-watch.ts";

describe("parseExitCode", () => {
  const cases = [
    { desc: "a plain code is read", text: "3", want: 3 },
    { desc: "a trailing newline is ignored", text: "137\n", want: 137 },
    { desc: "zero is a valid code", text: "0", want: 0 },
    { desc: "conmon's -1 (exec timed out) is kept", text: "-1", want: -1 },
    { desc: "an empty (half-written) file is not an exit", text: "", want: undefined },
    { desc: "text is not an exit", text: "abc", want: undefined },
    { desc: "a decimal point is not an exit", text: "1.5", want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(parseExitCode(tc.text)).toBe(tc.want as never));
});

describe("readExitInfo and waitForExit", () => {
  const mk = () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-exit-"));
    const exitDir = path.join(root, "exits");
    const dir = path.join(root, "ctr");
    fs.mkdirSync(exitDir);
    fs.mkdirSync(dir);
    return { root, exitDir, dir };
  };

  test("a running container has no exit", () => {
    const t = mk();
    expect(readExitInfo(t.exitDir, "c", t.dir)).toBeUndefined();
    fs.rmSync(t.root, { recursive: true });
  });

  test("the exit carries the code, the file's mtime in ns and the oom marker", () => {
    const t = mk();
    fs.writeFileSync(path.join(t.exitDir, "c"), "137");
    fs.writeFileSync(path.join(t.dir, "oom"), "");
    const when = new Date("2026-01-02T03:04:05.678Z");
    fs.utimesSync(path.join(t.exitDir, "c"), when, when);
    expect(readExitInfo(t.exitDir, "c", t.dir)).toEqual({ exitCode: 137, finishedAt: 1767323045678000000n, oomKilled: true });
    fs.rmSync(t.root, { recursive: true });
  });

  test("the persist dir's exit file stands in when the exit dir lost it", () => {
    const t = mk();
    fs.writeFileSync(path.join(t.dir, "exit"), "2");
    expect(readExitInfo(t.exitDir, "c", t.dir)?.exitCode).toBe(2);
    fs.rmSync(t.root, { recursive: true });
  });

  test("waitForExit resolves when the exit file appears", async () => {
    const t = mk();
    const waiting = waitForExit(t.exitDir, "c", t.dir, AbortSignal.timeout(5000));
    setTimeout(() => fs.writeFileSync(path.join(t.exitDir, "c"), "5"), 50);
    expect((await waiting).exitCode).toBe(5);
    fs.rmSync(t.root, { recursive: true });
  });

  test("waitForExit rejects when aborted", async () => {
    const t = mk();
    await expect(waitForExit(t.exitDir, "c", t.dir, AbortSignal.timeout(50))).rejects.toThrow();
    fs.rmSync(t.root, { recursive: true });
  });

  test("many containers waiting in one exit dir each get their own exit, and the watch starts again after going idle", async () => {
    const t = mk();
    const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const ctl = new AbortController();
    const waits = ids.map((id) => waitForExit(t.exitDir, id, t.dir, ctl.signal).then((x) => x.exitCode, () => "aborted"));
    for (const [i, id] of ids.entries()) if (i % 2 === 0) fs.writeFileSync(path.join(t.exitDir, id), String(i % 100));
    await Promise.all(waits.filter((_, i) => i % 2 === 0));
    ctl.abort();
    expect(await Promise.all(waits)).toEqual(ids.map((_, i) => (i % 2 === 0 ? i % 100 : "aborted")));
    const again = waitForExit(t.exitDir, "late", t.dir, AbortSignal.timeout(5000));
    setTimeout(() => fs.writeFileSync(path.join(t.exitDir, "late"), "9"), 50);
    expect((await again).exitCode).toBe(9);
    fs.rmSync(t.root, { recursive: true });
  });
});
