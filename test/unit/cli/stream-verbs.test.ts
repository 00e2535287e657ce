import { describe, expect, test } from "bun:test";
import { flagValues, splitExecArgs } from "../../../src/cli/exec.ts";
import { parsePortSpec } from "../../../src/cli/port-forward.ts";
import { parseTransport } from "../../../src/cli/stream-session.ts";
import { UsageError } from "../../../src/cli/client-args.ts";

describe("exec flags", () => {
  const cases = [
    { desc: "-it sets stdin and tty", argv: ["-it", "c", "sh"], want: { stdin: true, tty: true, sync: false } },
    { desc: "-i alone sets stdin only", argv: ["-i", "c", "cat"], want: { stdin: true, tty: false, sync: false } },
    { desc: "--sync with --timeout keeps the timeout", argv: ["--sync", "--timeout", "5", "c", "true"], want: { stdin: false, tty: false, sync: true, timeout: "5" } },
    { desc: "--transport takes a value", argv: ["--transport", "websocket", "c", "true"], want: { transport: "websocket" } },
    { desc: "flags after the id are the command's", argv: ["c", "sh", "-it"], want: { stdin: false, tty: false } },
  ];
  for (const tc of cases) test(tc.desc, () => expect(flagValues(splitExecArgs(tc.argv).flags)).toMatchObject(tc.want));
  test("an unknown transport is a usage error", () => expect(() => parseTransport("http2")).toThrow(UsageError));
});

describe("port-forward specs", () => {
  const cases = [
    { desc: "LOCAL:REMOTE", spec: "8080:80", want: { local: 8080, remote: 80 } },
    { desc: "REMOTE alone is the same port locally", spec: "5432", want: { local: 5432, remote: 5432 } },
    { desc: ":REMOTE picks a free local port", spec: ":80", want: { local: 0, remote: 80 } },
  ];
  for (const tc of cases) test(tc.desc, () => expect(parsePortSpec(tc.spec, "127.0.0.1")).toEqual({ address: "127.0.0.1", ...tc.want }));
  for (const bad of ["0", "80:", "a:80", "1:70000", "80:0"]) test(`"${bad}" is a usage error`, () => expect(() => parsePortSpec(bad, "127.0.0.1")).toThrow(UsageError));
});
