/**
 * Container logs: the CRI log format the kubelet parses (`<RFC 3339 time> <stream> <P|F>
 * <text>`), where the file lives, what is in it when the container has exited, and
 * ReopenContainerLog, the kubelet's log rotation: rename the file, ask for a new one,
 * read the new one at once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { processesMentioning } from "../../support/containerd-pods.ts";
import { type Case, codeOf, expect, okOrFailed, refusal, runCases } from "./cases.ts";
import { CRI_LOG_LINE, containerStatus, ctrConfig, exitedStatus, logMessages, logText, loggedStdout, runContainer, runPod, waitFor } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes();

/** Runs `script` in a new pod; returns the container id. */
async function run(rt: Runtime, name: string, script: string, over: Record<string, unknown> = {}): Promise<string> {
  const pod = await runPod(rt, name);
  return runContainer(rt, pod, ctrConfig(name, rts.images.busybox, script, over));
}

/** The log of a container once it has exited. */
async function finalLog(rt: Runtime, id: string): Promise<string> {
  await exitedStatus(rt, id);
  return logText(rt, id);
}

const TICKER = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done";

/** A running container that logs a line every 100 ms, once its first line is in the log. */
async function ticker(rt: Runtime, name: string): Promise<{ id: string; logPath: string }> {
  const id = await run(rt, name, TICKER);
  await loggedStdout(rt, id, "tick 0");
  return { id, logPath: (await containerStatus(rt, id)).log_path };
}

const cases: Case<any>[] = [
  {
    desc: "stdout and stderr go to log_directory/log_path, one CRI-format line each, with RFC 3339 timestamps in order",
    run: async (rt) => {
      const id = await run(rt, "format", "echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2");
      const text = await finalLog(rt, id);
      const lines = text.trimEnd().split("\n");
      const times = lines.map((l) => Date.parse(CRI_LOG_LINE.exec(l)?.[1] ?? ""));
      const status = await containerStatus(rt, id);
      return {
        where: path.relative(rt.work, status.log_path),
        wellFormed: lines.every((l) => CRI_LOG_LINE.test(l) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) /.test(l)),
        ordered: times.every((t, i) => !Number.isNaN(t) && (i === 0 || t >= times[i - 1]!)),
        messages: logMessages(text),
        tags: lines.map((l) => CRI_LOG_LINE.exec(l)?.slice(2, 4).join(" ")),
      };
    },
    check: (seen) =>
      expect(seen).toEqual({
        where: "logs/format/format/0.log",
        wellFormed: true,
        ordered: true,
        messages: { stdout: "out1\nout2\n", stderr: "err1\n" },
        tags: ["stdout F", "stderr F", "stdout F"],
      }),
  },
  {
    desc: "text without a final newline is logged when the container exits",
    run: async (rt) => logMessages(await finalLog(rt, await run(rt, "no-newline", "echo first; printf last"))).stdout,
    check: (seen) => expect(seen).toStartWith("first\nlast"),
  },
  {
    desc: "a line longer than 16 KiB is split into partial lines that join back into the whole line",
    run: async (rt) => {
      const text = await finalLog(rt, await run(rt, "long-line", "printf '%040000d\\n' 7"));
      const lines = text.trimEnd().split("\n").map((l) => CRI_LOG_LINE.exec(l));
      return {
        joined: logMessages(text).stdout === `${"0".repeat(39999)}7\n`,
        split: lines.length > 1,
        partialThenFull: lines.every((m, i) => m?.[3] === (i === lines.length - 1 ? "F" : "P")),
      };
    },
    check: (seen) => expect(seen).toEqual({ joined: true, split: true, partialThenFull: true }),
  },
  {
    desc: "the log holds every line once the container is reported exited",
    run: async (rt) => {
      const text = await finalLog(rt, await run(rt, "complete", "seq 1 3000"));
      const out = logMessages(text).stdout.trimEnd().split("\n");
      return { count: out.length, last: out.at(-1) };
    },
    check: (seen) => expect(seen).toEqual({ count: 3000, last: "3000" }),
  },
  {
    // The terminal ends lines in "\r\n". conmon (skiff, CRI-O) logs the "\r" as part of the
    // text; containerd reads lines with Go's ReadLine, which drops it. The kubelet takes
    // either, so the "\r" is left out of the comparison.
    desc: "a terminal container's output is logged as stdout",
    run: async (rt) => {
      const { stdout, stderr } = logMessages(await finalLog(rt, await run(rt, "tty-log", "echo on-tty; echo also >&2", { tty: true })));
      return { stdout: stdout.replaceAll("\r\n", "\n"), stderr };
    },
    check: (seen) => expect(seen).toEqual({ stdout: "on-tty\nalso\n", stderr: "" }),
  },
  {
    desc: "ReopenContainerLog after the log was renamed away returns with the new file in place, and later lines go to it",
    run: async (rt) => {
      const { id, logPath } = await ticker(rt, "reopen");
      fs.renameSync(logPath, `${logPath}.1`);
      await rt.runtime.call("ReopenContainerLog", { container_id: id });
      const inPlaceAtOnce = fs.existsSync(logPath);
      const newLines = await waitFor("a line in the new log", async () => (/ stdout F tick \d+$/m.test(readOr(logPath)) ? true : undefined));
      return { inPlaceAtOnce, newLines, oldKept: readOr(`${logPath}.1`).includes("stdout F tick 0") };
    },
    check: (seen) => expect(seen).toEqual({ inPlaceAtOnce: true, newLines: true, oldKept: true }),
  },
  {
    desc: "ReopenContainerLog waits for a slow log writer: with conmon stopped for a moment, the call returns only once the new file is in place",
    skiffOnly: "containerd reopens the file inside the daemon that answers the call; there is no separate writer to slow down",
    run: async (rt) => {
      const { id, logPath } = await ticker(rt, "reopen-slow");
      const conmon = processesMentioning(id).filter((pid) => readOr(`/proc/${pid}/comm`).trim() === "conmon");
      fs.renameSync(logPath, `${logPath}.1`);
      for (const pid of conmon) process.kill(pid, "SIGSTOP");
      const resume = setTimeout(() => conmon.forEach((pid) => process.kill(pid, "SIGCONT")), 300);
      try {
        await rt.runtime.call("ReopenContainerLog", { container_id: id });
        return { conmon: conmon.length, inPlaceAtOnce: fs.existsSync(logPath) };
      } finally {
        clearTimeout(resume);
        for (const pid of conmon) process.kill(pid, "SIGCONT");
      }
    },
    check: (seen) => expect(seen).toEqual({ conmon: 1, inPlaceAtOnce: true }),
  },
  {
    desc: "ReopenContainerLog of an exited container fails and makes no new file",
    run: async (rt) => {
      const id = await run(rt, "reopen-exited", "echo bye");
      const logPath = (await exitedStatus(rt, id)).log_path;
      fs.renameSync(logPath, `${logPath}.1`);
      const answer = await okOrFailed(rt.runtime.call("ReopenContainerLog", { container_id: id }));
      return { answer, made: fs.existsSync(logPath) };
    },
    check: (seen) => expect(seen).toEqual({ answer: "failed", made: false }),
  },
  {
    desc: "ReopenContainerLog of an unknown container is NotFound",
    run: (rt) => codeOf(rt.runtime.call("ReopenContainerLog", { container_id: "0123456789abcdef" })),
    check: (seen) => expect(seen).toBe("NOT_FOUND"),
  },
  {
    desc: "ReopenContainerLog answers FailedPrecondition for a container that is not running and InvalidArgument without an id",
    skiffOnly: "containerd 1.6 answers Unknown for both",
    run: async (rt) => {
      const pod = await runPod(rt, "reopen-codes");
      const created = (await rt.runtime.call<any>("CreateContainer", { pod_sandbox_id: pod.id, config: ctrConfig("c", rts.images.busybox, "true"), sandbox_config: pod.config }, 60_000)).container_id;
      return {
        created: (await refusal(rt.runtime.call("ReopenContainerLog", { container_id: created }), created)).replace(created, "<id>"),
        empty: await refusal(rt.runtime.call("ReopenContainerLog", { container_id: "" }), "container_id"),
      };
    },
    check: (seen) => expect(seen).toEqual({ created: "FAILED_PRECONDITION <id>", empty: "INVALID_ARGUMENT container_id" }),
  },
];

function readOr(p: string): string {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return "";
  }
}

runCases("container logs", rts, cases);
