import { describe, expect, test } from "bun:test";
import { FakePipe } from "../../../../src/platform/fake/fake-pipe.ts";
import { FakeWindowsHost } from "../../../../src/platform/fake/fake-windows-host.ts";
import { pumpCriLog, rfc3339Nano } from "../../../../src/runtime/windows/cri-log-writer.ts";
import { createNamespace, removeNamespace } from "../../../../src/runtime/windows/hns-namespace.ts";
import { processParameters } from "../../../../src/runtime/windows/process-parameters.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("the CRI log of a Windows process", () => {
  async function pump(chunks: string[], maxLine?: number): Promise<string[]> {
    const pipe = new FakePipe();
    for (const c of chunks) pipe.push(enc(c));
    pipe.end();
    const lines: string[] = [];
    await pumpCriLog(pipe, "stdout", (l) => lines.push(l), () => 1_700_000_000_123_456_789n, maxLine);
    return lines;
  }
  const T = "2023-11-14T22:13:20.123456789Z";

  test("each line is a full entry, its CRLF dropped", async () => {
    expect(await pump(["hello\r\nwor", "ld\r\n"])).toEqual([`${T} stdout F hello\n`, `${T} stdout F world\n`]);
  });
  test("what is left at the end is a last full line", async () => {
    expect(await pump(["no newline"])).toEqual([`${T} stdout F no newline\n`]);
  });
  test("a line longer than the limit is written in partial pieces", async () => {
    expect(await pump(["abcdefgh\n"], 3)).toEqual([`${T} stdout P abc\n`, `${T} stdout P def\n`, `${T} stdout F gh\n`]);
  });
  test("timestamps are RFC3339 with nanoseconds", () => expect(rfc3339Nano(1n)).toBe("1970-01-01T00:00:00.000000001Z"));
});

describe("ProcessParameters", () => {
  test("args become an escaped command line; env a map without empty values; pipes as asked", () => {
    const p = processParameters(
      { user: { uid: 0, gid: 0, username: "ContainerUser" }, cwd: "C:\\app", args: ["C:\\Program Files\\x.exe", "a b"], env: ["A=1", "EMPTY=", "B=x=y"] },
      { stdout: true, stderr: true },
    );
    expect(p).toEqual({
      CommandLine: '"C:\\Program Files\\x.exe" "a b"',
      User: "ContainerUser",
      WorkingDirectory: "C:\\app",
      Environment: { A: "1", B: "x=y" },
      CreateStdOutPipe: true,
      CreateStdErrPipe: true,
    });
  });
  test("a spec command line is used as written; a terminal is a console with its size", () => {
    const p = processParameters({ user: { uid: 0, gid: 0 }, cwd: "", commandLine: "cmd /S /C dir", terminal: true, consoleSize: { height: 24, width: 80 } }, { stdout: true });
    expect(p).toEqual({ CommandLine: "cmd /S /C dir", EmulateConsole: true, CreateStdOutPipe: true, ConsoleSize: [24, 80] });
  });
});

describe("HNS namespaces", () => {
  test("made with POST /namespaces/ and {}, removed with DELETE; removing a gone one is fine", async () => {
    const host = new FakeWindowsHost();
    const id = await createNamespace(host.hns);
    expect(host.hns.namespaces.has(id)).toBe(true);
    await removeNamespace(host.hns, id);
    await removeNamespace(host.hns, id);
    expect(host.log.of("HNSCall").map((c) => c.args)).toEqual([
      ["POST", "/namespaces/", "{}"],
      ["DELETE", `/namespaces/${id}`, ""],
      ["DELETE", `/namespaces/${id}`, ""],
    ]);
  });
  test("an HNS error is reported with its text", async () => {
    const err = await createNamespace({ call: async () => '{"Success":false,"Error":"HNS failed with error : The parameter is incorrect."}' }).catch((e) => e);
    expect(err.message).toBe("HNS POST /namespaces/ failed: HNS failed with error : The parameter is incorrect.");
  });
});
