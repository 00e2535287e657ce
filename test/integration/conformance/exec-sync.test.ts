/**
 * ExecSync, what the kubelet's exec probes run on: output per stream, exit codes, the
 * timeout (DeadlineExceeded, the process killed), the container's environment, working
 * dir and user, large outputs, and the refusals for containers that cannot exec.
 */
import { type Case, codeOf, expect, okOrFailed, outcome, refusal, runCases } from "./cases.ts";
import { type Pod, createContainer, ctrConfig, ctrLinux, execOut, execSync, exitedStatus, runContainer, runPod, waitFor } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes();

type Target = { pod: Pod; id: string };
const targets = new Map<string, Promise<Target>>();

/** One running container per runtime, with an env, working dir and user of its own. */
function target(rt: Runtime): Promise<Target> {
  if (!targets.has(rt.name)) {
    targets.set(
      rt.name,
      (async () => {
        const pod = await runPod(rt, "exec");
        const over = {
          envs: [{ key: "GREETING", value: Buffer.from("hello from env") }],
          working_dir: "/etc",
          ...ctrLinux({ run_as_user: { value: 4321 }, run_as_group: { value: 4321 } }),
        };
        return { pod, id: await runContainer(rt, pod, ctrConfig("exec", rts.images.busybox, "sleep 100000", over)) };
      })(),
    );
  }
  return targets.get(rt.name)!;
}

/** ExecSync in the shared container: exit code and both streams. */
const inTarget = (cmd: string[], timeout = 10) => async (rt: Runtime) => execSync(rt, (await target(rt)).id, cmd, timeout);

const cases: Case<any>[] = [
  {
    desc: "a command's stdout, stderr and exit code come back separately",
    run: inTarget(["sh", "-c", "echo out; echo err >&2; exit 3"]),
    check: (seen) => expect(seen).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" }),
  },
  {
    desc: "a command that succeeds exits 0",
    run: inTarget(["echo", "-n", "fine"]),
    check: (seen) => expect(seen).toEqual({ code: 0, stdout: "fine", stderr: "" }),
  },
  {
    desc: "a shell's command that is not found exits 127",
    run: inTarget(["sh", "-c", "no-such-command"]),
    check: (seen) => expect(seen.code).toBe(127),
  },
  {
    desc: "the command runs with the container's environment, working dir and user",
    run: inTarget(["sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g']),
    check: (seen) => expect(seen).toEqual({ code: 0, stdout: "hello from env\n/etc\n4321\n4321\n", stderr: "" }),
  },
  {
    desc: "the command's stdin is empty",
    run: inTarget(["cat"], 5),
    check: (seen) => expect(seen).toEqual({ code: 0, stdout: "", stderr: "" }),
  },
  {
    desc: "a megabyte of output comes back whole",
    run: async (rt) => {
      const r = await execSync(rt, (await target(rt)).id, ["head", "-c", "1048576", "/dev/zero"]);
      return { code: r.code, bytes: r.stdout.length };
    },
    check: (seen) => expect(seen).toEqual({ code: 0, bytes: 1048576 }),
  },
  {
    desc: "a command past its timeout is DeadlineExceeded and is killed",
    run: async (rt) => {
      const { id } = await target(rt);
      const code = await codeOf(rt.runtime.call("ExecSync", { container_id: id, cmd: ["sleep", "7777"], timeout: 1 }, 30_000));
      const gone = await waitFor("the timed-out process to go", async () => (!(await execOut(rt, id, ["ps", "-o", "args"])).includes("sleep 7777") ? true : undefined), 5_000).catch(() => false);
      return { code, lingering: !gone };
    },
    check: (seen) => expect(seen).toEqual({ code: "DEADLINE_EXCEEDED", lingering: false }),
  },
  {
    desc: "a timeout of 0 means no timeout",
    run: inTarget(["sh", "-c", "sleep 1.2; echo done"], 0),
    check: (seen) => expect(seen).toEqual({ code: 0, stdout: "done\n", stderr: "" }),
  },
  {
    desc: "ExecSync in an unknown container is NotFound",
    run: (rt) => codeOf(rt.runtime.call("ExecSync", { container_id: "0123456789abcdef", cmd: ["true"], timeout: 5 })),
    check: (seen) => expect(seen).toBe("NOT_FOUND"),
  },
  {
    desc: "ExecSync is refused in a container that has exited or not yet started, and without a command",
    run: async (rt) => {
      const { pod, id } = await target(rt);
      const done = await runContainer(rt, pod, ctrConfig("exited", rts.images.busybox, "exit 0"));
      await exitedStatus(rt, done);
      const created = await createContainer(rt, pod, ctrConfig("created", rts.images.busybox, "sleep 1"));
      const exec = (container_id: string, cmd: string[]) => okOrFailed(rt.runtime.call("ExecSync", { container_id, cmd, timeout: 5 }));
      return { exited: await exec(done, ["true"]), created: await exec(created, ["true"]), noCmd: await exec(id, []) };
    },
    check: (seen) => expect(seen).toEqual({ exited: "failed", created: "failed", noCmd: "failed" }),
  },
  {
    desc: "an executable that is not in the container is an error, not an exit code",
    run: async (rt) => {
      const o = await outcome(rt.runtime.call("ExecSync", { container_id: (await target(rt)).id, cmd: ["/no/such/binary"], timeout: 5 }));
      return o.ok ? "answered" : "failed";
    },
    check: (seen) => expect(seen).toBe("failed"),
  },
  {
    desc: "refusals of ExecSync carry the codes the CRI calls for",
    skiffOnly: "containerd 1.6 answers Unknown for a container that is not running and for an empty command",
    run: async (rt) => {
      const { pod, id } = await target(rt);
      const created = await createContainer(rt, pod, ctrConfig("created-code", rts.images.busybox, "sleep 1"));
      const exec = (container_id: string, cmd: string[], what: string) => refusal(rt.runtime.call("ExecSync", { container_id, cmd, timeout: 5 }), what);
      return {
        created: (await exec(created, ["true"], created)).replace(created, "<id>"),
        noCmd: await exec(id, [], "cmd"),
        noId: await exec("", ["true"], "container_id"),
      };
    },
    check: (seen) => expect(seen).toEqual({ created: "FAILED_PRECONDITION <id>", noCmd: "INVALID_ARGUMENT cmd", noId: "INVALID_ARGUMENT container_id" }),
  },
  {
    desc: "output too large for one gRPC message is cut so that the answer still fits, both streams together",
    skiffOnly: "containerd 1.6 sends all of it, and the call fails once the answer passes its 16 MiB gRPC message limit",
    timeoutMs: 90_000,
    run: async (rt) => {
      const big = String(10 * 1024 * 1024);
      const r = await execSync(rt, (await target(rt)).id, ["sh", "-c", `head -c ${big} /dev/zero; head -c ${big} /dev/zero >&2`], 60);
      return { code: r.code, stdout: r.stdout.length, stderr: r.stderr.length };
    },
    // skiff's default max_send_message_bytes is 16 MiB; each stream keeps half of it less 4 KiB of framing
    check: (seen) => expect(seen).toEqual({ code: 0, stdout: 8 * 1024 * 1024 - 2048, stderr: 8 * 1024 * 1024 - 2048 }),
  },
];

runCases("ExecSync", rts, cases);
