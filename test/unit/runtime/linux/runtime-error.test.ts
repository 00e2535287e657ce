import { describe, expect, test } from "bun:test";
import { isNotExistMessage, isNotRunningMessage, runtimeErrorMessage } from "../../../../src/runtime/linux/runtime-error.ts";

describe("runtimeErrorMessage", () => {
  const cases = [
    {
      desc: "runc's logrus line gives its msg, escapes undone",
      stderr: `time="2026-11-27T05:26:34Z" level=error msg="runc create failed: unable to start container process: exec: \\"/bin/nope\\": stat /bin/nope: no such file or directory"\n`,
      want: 'runc create failed: unable to start container process: exec: "/bin/nope": stat /bin/nope: no such file or directory',
    },
    { desc: "runc's plain fatal line is kept as is", stderr: "load container exp1: container does not exist\n", want: "load container exp1: container does not exist" },
    { desc: "crun's JSON line gives its msg", stderr: '{"msg":"container `x` does not exist","level":"error","time":"2026-01-01T00:00:00Z"}\n', want: "container `x` does not exist" },
    { desc: "debug and info lines are dropped", stderr: 'time="t" level=debug msg="noise"\ntime="t" level=error msg="real"\n', want: "real" },
    { desc: "repeated messages are joined once", stderr: 'level=error msg="a"\nlevel=error msg="a"\nb\n', want: "a; b" },
    { desc: "empty stderr gives the fallback", stderr: "\n  \n", want: "exit status 1" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(runtimeErrorMessage(tc.stderr, "exit status 1")).toBe(tc.want));
});

describe("message classes", () => {
  const cases = [
    { desc: "runc's unknown container is not-exist", msg: "container does not exist", exist: true, running: false },
    { desc: "crun's missing status file is not-exist", msg: "error opening file `/run/crun/x/status`: No such file or directory", exist: true, running: false },
    { desc: "runc's kill of a stopped container is not-running", msg: "container not running", exist: false, running: true },
    { desc: "a finished process is not-running", msg: "process already finished", exist: false, running: true },
    { desc: "a permission error is neither", msg: "operation not permitted", exist: false, running: false },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(isNotExistMessage(tc.msg)).toBe(tc.exist);
      expect(isNotRunningMessage(tc.msg)).toBe(tc.running);
    });
  }
});
