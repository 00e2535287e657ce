import { describe, expect, test } from "bun:test";
import { conmonArgs, conmonExecArgs } from "../../../../src/runtime/linux/conmon-args.ts";
import type { CreateRequest, OciRuntimeOptions } from "../../../../src/runtime/linux/oci-runtime.ts";

const opts: OciRuntimeOptions = {
  handler: "runc",
  runtimePath: "/usr/sbin/runc",
  runtimeRoot: "/run/skiff/runc",
  conmonPath: "/usr/bin/conmon",
  systemdCgroup: false,
  exitDir: "/run/skiff/exits",
  socketDir: "/run/skiff/s",
};
const req: CreateRequest = { id: "c1", dir: "/var/lib/skiff/c/c1", logPath: "/var/log/pods/p/c/0.log", tty: false, stdin: false, stdinOnce: false };

/** The value following `flag` in argv (undefined when absent). */
const valueOf = (argv: string[], flag: string) => {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
};

describe("conmonArgs", () => {
  test("the fixed flags name the container, bundle, pid files, exit dir, log and runtime root", () => {
    const a = conmonArgs(opts, req);
    expect(valueOf(a, "--api-version")).toBe("1");
    expect(valueOf(a, "-c")).toBe("c1");
    expect(valueOf(a, "-u")).toBe("c1");
    expect(valueOf(a, "-n")).toBe("c1");
    expect(valueOf(a, "-r")).toBe("/usr/sbin/runc");
    expect(valueOf(a, "-b")).toBe(req.dir);
    expect(valueOf(a, "-p")).toBe(`${req.dir}/pidfile`);
    expect(valueOf(a, "-P")).toBe(`${req.dir}/conmon.pid`);
    expect(valueOf(a, "--exit-dir")).toBe("/run/skiff/exits");
    expect(valueOf(a, "--persist-dir")).toBe(req.dir);
    expect(valueOf(a, "-l")).toBe("k8s-file:/var/log/pods/p/c/0.log");
    expect(valueOf(a, "--runtime-arg")).toBe("--root=/run/skiff/runc");
    expect(valueOf(a, "--socket-dir-path")).toBe("/run/skiff/s");
    expect(a).not.toContain("-e");
  });

  const cases = [
    { desc: "no optional flag is set for a plain container", over: {}, sys: false, has: [], lacks: ["-s", "-t", "-i", "--leave-stdin-open", "--log-size-max"] },
    { desc: "systemd cgroups add -s (conmon passes --systemd-cgroup to create)", over: {}, sys: true, has: ["-s"], lacks: ["--systemd-cgroup"] },
    { desc: "a tty adds -t", over: { tty: true }, sys: false, has: ["-t"], lacks: ["-i"] },
    { desc: "stdin that stays open adds -i and --leave-stdin-open", over: { stdin: true }, sys: false, has: ["-i", "--leave-stdin-open"], lacks: [] },
    { desc: "stdinOnce keeps -i but drops --leave-stdin-open", over: { stdin: true, stdinOnce: true }, sys: false, has: ["-i"], lacks: ["--leave-stdin-open"] },
    { desc: "a log size cap adds --log-size-max", over: { logSizeMax: 1024 }, sys: false, has: ["--log-size-max", "1024"], lacks: [] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const a = conmonArgs({ ...opts, systemdCgroup: tc.sys }, { ...req, ...tc.over });
      for (const f of tc.has) expect(a).toContain(f);
      for (const f of tc.lacks) expect(a).not.toContain(f);
    });
  }

  test("the socket dir defaults to a short path", () => {
    const { socketDir: _, ...noSock } = opts;
    expect(valueOf(conmonArgs(noSock, req), "--socket-dir-path")).toBe("/run/skiff/sock");
  });
});

describe("conmonExecArgs", () => {
  const base = { id: "c1", execDir: "/var/lib/skiff/c/c1/exec-x", execId: "c1-x", tty: false };
  const cases = [
    { desc: "no timeout means no -T", timeoutMs: 0, want: undefined },
    { desc: "a whole second timeout is passed as is", timeoutMs: 2000, want: "2" },
    { desc: "a sub-second timeout rounds up to one second", timeoutMs: 1, want: "1" },
    { desc: "a fractional timeout rounds up", timeoutMs: 1500, want: "2" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(valueOf(conmonExecArgs(opts, { ...base, timeoutMs: tc.timeoutMs }), "-T")).toBe(tc.want as never));

  test("an exec runs in its own dir with its own log, exit dir and process spec", () => {
    const a = conmonExecArgs(opts, { ...base, timeoutMs: 0 });
    expect(a).toContain("-e");
    expect(valueOf(a, "-c")).toBe("c1");
    expect(valueOf(a, "-u")).toBe("c1-x");
    expect(valueOf(a, "-b")).toBe(base.execDir);
    expect(valueOf(a, "--exit-dir")).toBe(base.execDir);
    expect(valueOf(a, "-l")).toBe(`k8s-file:${base.execDir}/log`);
    expect(valueOf(a, "--exec-process-spec")).toBe(`${base.execDir}/process.json`);
    expect(a).not.toContain("--persist-dir");
  });
});
