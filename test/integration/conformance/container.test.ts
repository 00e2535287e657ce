/**
 * Container lifecycle and ContainerStatus: the fields after create, start and each kind
 * of exit (Completed, Error, OOMKilled, killed at the stop timeout), Stop and Remove
 * (idempotent), the refusals of bad requests, and what the process gets from its config
 * (command and args against the image's, env, working dir, mounts, resources).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Case, codeOf, expect, okOrFailed, refusal, runCases } from "./cases.ts";
import { type Pod, containerStatus, createContainer, ctrConfig, ctrLinux, execOut, exitedStatus, loggedStdout, runContainer, runPod, startContainer } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes({ pull: (i) => [i.busybox, i.entry] });
const UNKNOWN = "0123456789abcdef0123456789abcdef";
const busybox = () => rts.images.busybox;

const call = (rt: Runtime, method: string, req: object) => rt.runtime.call<any>(method, req, 60_000);
const ns = (t: string) => BigInt(t);
const recent = (t: string) => Math.abs(Date.now() - Number(ns(t) / 1_000_000n)) < 60_000;

/** One pod per runtime for the cases that need no pod of their own. */
const shared = new Map<string, Promise<Pod>>();
function pod(rt: Runtime): Promise<Pod> {
  if (!shared.has(rt.name)) shared.set(rt.name, runPod(rt, "lifecycle"));
  return shared.get(rt.name)!;
}

async function run(rt: Runtime, name: string, script: string, over: Record<string, unknown> = {}): Promise<string> {
  return runContainer(rt, await pod(rt), ctrConfig(name, busybox(), script, over));
}

/** The exit fields of a container once it has exited. */
async function exitOf(rt: Runtime, id: string) {
  const s = await exitedStatus(rt, id);
  return { state: s.state, exit_code: s.exit_code, reason: s.reason, message: s.message, startedAndFinished: ns(s.started_at) > 0n && ns(s.finished_at) > 0n };
}

/** /proc/1/cmdline of a container made from `over`, as an argv. */
async function argvOf(rt: Runtime, name: string, over: Record<string, unknown>, image = busybox()): Promise<string[]> {
  const base = ctrConfig(name, image, "");
  delete base.command;
  const id = await runContainer(rt, await pod(rt), { ...base, ...over });
  return (await execOut(rt, id, ["cat", "/proc/1/cmdline"])).split("\0").filter(Boolean);
}

const cases: Case<any>[] = [
  {
    desc: "a created container's status echoes its metadata, image, labels, annotations and log path, with created_at and no start or finish",
    run: async (rt) => {
      const p = await pod(rt);
      const id = await createContainer(rt, p, ctrConfig("created", busybox(), "sleep 100000"));
      const s = await containerStatus(rt, id);
      return {
        id: s.id === id,
        state: s.state,
        metadata: s.metadata,
        image: s.image.image,
        labels: s.labels,
        annotations: s.annotations,
        logPath: path.relative(rt.work, s.log_path),
        createdRecently: recent(s.created_at),
        started_at: s.started_at,
        finished_at: s.finished_at,
        exit_code: s.exit_code,
        reason: s.reason,
        message: s.message,
      };
    },
    check: (seen) =>
      expect(seen).toEqual({
        id: true,
        state: "CONTAINER_CREATED",
        metadata: { name: "created", attempt: 0 },
        image: rts.images.busybox,
        labels: { ctr: "created" },
        annotations: { "example.com/ctr": "created" },
        logPath: "logs/lifecycle/created/0.log",
        createdRecently: true,
        started_at: "0",
        finished_at: "0",
        exit_code: 0,
        reason: "",
        message: "",
      }),
  },
  {
    desc: "a started container is running, started after it was created, not finished",
    run: async (rt) => {
      const s = await containerStatus(rt, await run(rt, "running", "sleep 100000"));
      return { state: s.state, startedAfterCreate: ns(s.started_at) >= ns(s.created_at), finished_at: s.finished_at, reason: s.reason };
    },
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_RUNNING", startedAfterCreate: true, finished_at: "0", reason: "" }),
  },
  {
    desc: "starting a running container again is refused",
    run: async (rt) => okOrFailed(startContainer(rt, await run(rt, "twice", "sleep 100000"))),
    check: (seen) => expect(seen).toBe("failed"),
  },
  {
    desc: "a container that exits 0 is exited with reason Completed",
    run: async (rt) => exitOf(rt, await run(rt, "zero", "exit 0")),
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 0, reason: "Completed", message: "", startedAndFinished: true }),
  },
  {
    desc: "a container that exits 3 is exited with reason Error and exit code 3",
    run: async (rt) => exitOf(rt, await run(rt, "three", "exit 3")),
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 3, reason: "Error", message: "", startedAndFinished: true }),
  },
  {
    desc: "finished_at is never before started_at, even for a process that exits at once",
    skiffOnly: "containerd 1.6 takes started_at once the start call has returned, so a quick exit is now and then recorded before it",
    run: async (rt) => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await run(rt, `quick-${i}`, "exit 0"));
      const order = [];
      for (const id of ids) {
        const s = await exitedStatus(rt, id);
        order.push(ns(s.finished_at) >= ns(s.started_at) && ns(s.started_at) >= ns(s.created_at));
      }
      return order;
    },
    check: (seen) => expect(seen).toEqual([true, true, true, true, true]),
  },
  {
    desc: "a container whose process is killed from outside exits 128 + the signal with reason Error",
    run: async (rt) => {
      const id = await run(rt, "killed", "sleep 100000");
      const info = JSON.parse((await rt.runtime.call<any>("ContainerStatus", { container_id: id, verbose: true })).info.info);
      process.kill(info.pid, "SIGKILL");
      return exitOf(rt, id);
    },
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 137, reason: "Error", message: "", startedAndFinished: true }),
  },
  {
    desc: "a container over its memory limit is OOMKilled",
    run: async (rt) => {
      const limit = 32 * 1024 * 1024;
      const resources = { memory_limit_in_bytes: limit, memory_swap_limit_in_bytes: limit };
      return exitOf(rt, await runContainer(rt, await pod(rt), { ...ctrConfig("oom", busybox(), ""), command: ["tail", "/dev/zero"], ...ctrLinux({}, { resources }) }));
    },
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 137, reason: "OOMKilled", message: "", startedAndFinished: true }),
  },
  {
    desc: "StopContainer kills a process that ignores SIGTERM once the timeout has passed",
    run: async (rt) => {
      const id = await run(rt, "ignores-term", "sleep 100000");
      await call(rt, "StopContainer", { container_id: id, timeout: 1 });
      return exitOf(rt, id);
    },
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 137, reason: "Error", message: "", startedAndFinished: true }),
  },
  {
    desc: "StopContainer sends SIGTERM first: a process that exits on it is Completed",
    run: async (rt) => {
      const id = await run(rt, "handles-term", "trap 'exit 0' TERM; echo ready; while true; do sleep 0.1; done");
      await loggedStdout(rt, id, "ready");
      await call(rt, "StopContainer", { container_id: id, timeout: 30 });
      return exitOf(rt, id);
    },
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 0, reason: "Completed", message: "", startedAndFinished: true }),
  },
  {
    desc: "StopContainer of a stopped container, and RemoveContainer twice, succeed; the removed container's status is NotFound",
    run: async (rt) => {
      const id = await run(rt, "stop-remove", "exit 0");
      await exitedStatus(rt, id);
      return {
        stop: await codeOf(call(rt, "StopContainer", { container_id: id, timeout: 0 })),
        remove: await codeOf(call(rt, "RemoveContainer", { container_id: id })),
        again: await codeOf(call(rt, "RemoveContainer", { container_id: id })),
        status: await codeOf(call(rt, "ContainerStatus", { container_id: id })),
      };
    },
    check: (seen) => expect(seen).toEqual({ stop: "OK", remove: "OK", again: "OK", status: "NOT_FOUND" }),
  },
  {
    desc: "RemoveContainer of an id that never existed succeeds",
    run: (rt) => codeOf(call(rt, "RemoveContainer", { container_id: UNKNOWN })),
    check: (seen) => expect(seen).toBe("OK"),
  },
  {
    desc: "StopContainer of an id that never existed succeeds",
    skiffOnly: "containerd 1.6 answers NotFound; skiff, as CRI-O, treats an id it does not know as already stopped, so a kubelet that retries a stop never sees an error",
    run: (rt) => codeOf(call(rt, "StopContainer", { container_id: UNKNOWN, timeout: 0 })),
    check: (seen) => expect(seen).toBe("OK"),
  },
  {
    desc: "RemoveContainer of a running container kills and removes it",
    run: async (rt) => {
      const id = await run(rt, "remove-running", "sleep 100000");
      return { remove: await codeOf(call(rt, "RemoveContainer", { container_id: id })), status: await codeOf(call(rt, "ContainerStatus", { container_id: id })) };
    },
    check: (seen) => expect(seen).toEqual({ remove: "OK", status: "NOT_FOUND" }),
  },
  {
    // What happens to it then differs and is left out: containerd makes no process before
    // StartContainer, so the container stays CREATED and can still start; skiff's runtime
    // made one at CreateContainer, which the stop kills, so it is EXITED (next case). The
    // kubelet only removes such a container.
    desc: "a created container can be stopped and removed",
    run: async (rt) => {
      const id = await createContainer(rt, await pod(rt), ctrConfig("stop-created", busybox(), "sleep 100000"));
      return {
        stop: await codeOf(call(rt, "StopContainer", { container_id: id, timeout: 0 })),
        remove: await codeOf(call(rt, "RemoveContainer", { container_id: id })),
      };
    },
    check: (seen) => expect(seen).toEqual({ stop: "OK", remove: "OK" }),
  },
  {
    desc: "a created container that is stopped reports EXITED, its process killed, and cannot start",
    skiffOnly: "containerd 1.6 has no process for a created container and leaves it CREATED (see the case above)",
    run: async (rt) => {
      const id = await createContainer(rt, await pod(rt), ctrConfig("stop-created-state", busybox(), "sleep 100000"));
      await call(rt, "StopContainer", { container_id: id, timeout: 0 });
      const s = await containerStatus(rt, id);
      return { state: s.state, exit_code: s.exit_code, reason: s.reason, start: await codeOf(startContainer(rt, id)) };
    },
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 137, reason: "Error", start: "FAILED_PRECONDITION" }),
  },
  {
    desc: "ContainerStatus, ContainerStats and UpdateContainerResources of an unknown id are NotFound",
    run: async (rt) => ({
      status: await codeOf(call(rt, "ContainerStatus", { container_id: UNKNOWN })),
      stats: await codeOf(call(rt, "ContainerStats", { container_id: UNKNOWN })),
      update: await codeOf(call(rt, "UpdateContainerResources", { container_id: UNKNOWN, linux: { cpu_shares: 512 } })),
    }),
    check: (seen) => expect(seen).toEqual({ status: "NOT_FOUND", stats: "NOT_FOUND", update: "NOT_FOUND" }),
  },
  {
    desc: "CreateContainer is refused without a pod, in an unknown or stopped pod, without metadata or image, for an image not pulled, and for a name taken in the pod",
    run: async (rt) => {
      const p = await pod(rt);
      const create = (podId: string, config: object, sandbox = p.config) => okOrFailed(call(rt, "CreateContainer", { pod_sandbox_id: podId, config, sandbox_config: sandbox }));
      const stopped = await runPod(rt, "stopped-pod");
      await call(rt, "StopPodSandbox", { pod_sandbox_id: stopped.id });
      await createContainer(rt, p, ctrConfig("taken", busybox(), "sleep 1"));
      return {
        noPod: await create("", ctrConfig("a", busybox(), "true")),
        unknownPod: await create(UNKNOWN, ctrConfig("b", busybox(), "true")),
        stoppedPod: await create(stopped.id, ctrConfig("c", busybox(), "true"), stopped.config),
        noMetadata: await create(p.id, { ...ctrConfig("d", busybox(), "true"), metadata: null }),
        noImage: await create(p.id, { ...ctrConfig("e", busybox(), "true"), image: null }),
        notPulled: await create(p.id, ctrConfig("f", `${rts.registry.host}/conformance/never-pulled:v1`, "true")),
        nameTaken: await create(p.id, ctrConfig("taken", busybox(), "true")),
      };
    },
    check: (seen) => expect(Object.values(seen)).toEqual(Array(7).fill("failed")),
  },
  {
    desc: "CreateContainer in an unknown pod or of an image not pulled, and StartContainer of an unknown id, are NotFound",
    run: async (rt) => {
      const p = await pod(rt);
      const create = (podId: string, config: object) => codeOf(call(rt, "CreateContainer", { pod_sandbox_id: podId, config, sandbox_config: p.config }));
      return {
        unknownPod: await create(UNKNOWN, ctrConfig("b", busybox(), "true")),
        notPulled: await create(p.id, ctrConfig("f", `${rts.registry.host}/conformance/never-pulled:v1`, "true")),
        startUnknown: await codeOf(call(rt, "StartContainer", { container_id: UNKNOWN })),
      };
    },
    check: (seen) => expect(seen).toEqual({ unknownPod: "NOT_FOUND", notPulled: "NOT_FOUND", startUnknown: "NOT_FOUND" }),
  },
  {
    desc: "refusals of a bad CreateContainer and StartContainer carry the codes the CRI calls for: InvalidArgument naming the field, AlreadyExists, FailedPrecondition",
    skiffOnly: "containerd 1.6 answers Unknown for the missing fields, the taken name and the second start",
    run: async (rt) => {
      const p = await pod(rt);
      const create = (podId: string, config: object, what: string) => refusal(call(rt, "CreateContainer", { pod_sandbox_id: podId, config, sandbox_config: p.config }), what);
      const taken = await createContainer(rt, p, ctrConfig("taken-code", busybox(), "sleep 1"));
      const running = await run(rt, "start-code", "sleep 100000");
      return {
        noPod: await create("", ctrConfig("a", busybox(), "true"), "pod_sandbox_id"),
        noMetadata: await create(p.id, { ...ctrConfig("d", busybox(), "true"), metadata: null }, "config.metadata"),
        noImage: await create(p.id, { ...ctrConfig("e", busybox(), "true"), image: null }, "config.image"),
        nameTaken: (await create(p.id, ctrConfig("taken-code", busybox(), "true"), taken)).replace(taken, "<holder id>"),
        startRunning: (await refusal(startContainer(rt, running), running)).replace(running, "<id>"),
      };
    },
    check: (seen) =>
      expect(seen).toEqual({
        noPod: "INVALID_ARGUMENT pod_sandbox_id",
        noMetadata: "INVALID_ARGUMENT config.metadata",
        noImage: "INVALID_ARGUMENT config.image",
        nameTaken: "ALREADY_EXISTS <holder id>",
        startRunning: "FAILED_PRECONDITION <id>",
      }),
  },
  {
    desc: "a container whose command does not exist never runs: creating or starting it fails",
    run: async (rt) => okOrFailed(runContainer(rt, await pod(rt), { ...ctrConfig("no-cmd", busybox(), ""), command: ["/no/such/command"] })),
    check: (seen) => expect(seen).toBe("failed"),
  },
  {
    desc: "command and args combine with the image's Entrypoint and Cmd as the kubelet expects",
    run: async (rt) => ({
      neither: await argvOf(rt, "argv-image", {}, rts.images.entry),
      commandOnly: await argvOf(rt, "argv-command", { command: ["sleep", "1001"] }, rts.images.entry),
      argsOnly: await argvOf(rt, "argv-args", { args: ["1002"] }, rts.images.entry),
      both: await argvOf(rt, "argv-both", { command: ["sleep"], args: ["1003"] }, rts.images.entry),
    }),
    check: (seen) => expect(seen).toEqual({ neither: ["sleep", "1000"], commandOnly: ["sleep", "1001"], argsOnly: ["sleep", "1002"], both: ["sleep", "1003"] }),
  },
  {
    desc: "the environment is the image's, then the config's (a later key wins), with HOSTNAME the pod's",
    run: async (rt) => {
      const kv = (key: string, value: string) => ({ key, value: Buffer.from(value) });
      const id = await run(rt, "env", "sleep 100000", { envs: [kv("A", "1"), kv("PATH", "/bin:/sbin"), kv("A", "2")] });
      const env = (await execOut(rt, id, ["env"])).split("\n").filter((l) => /^(A|PATH|HOSTNAME)=/.test(l));
      return env.sort();
    },
    check: (seen) => expect(seen).toEqual(["A=2", "HOSTNAME=lifecycle", "PATH=/bin:/sbin"]),
  },
  {
    desc: "the working dir is the config's, else the image's, else /",
    run: async (rt) => {
      const cwd = async (name: string, over: Record<string, unknown>, image = busybox()) =>
        (await execOut(rt, await runContainer(rt, await pod(rt), ctrConfig(name, image, "sleep 100000", over)), ["sh", "-c", "pwd"])).trim();
      return { config: await cwd("cwd", { working_dir: "/etc" }), image: await cwd("cwd-image", {}, rts.images.entry), none: await cwd("cwd-none", {}) };
    },
    check: (seen) => expect(seen).toEqual({ config: "/etc", image: "/tmp", none: "/" }),
  },
  {
    desc: "mounts bind host paths, read-only when asked, create a missing host dir, and are reported in the status",
    run: async (rt) => {
      const dir = path.join(rt.work, "mount-src");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "f"), "from host\n");
      const missing = path.join(rt.work, "mount-missing");
      const mounts = [
        { container_path: "/rw", host_path: dir },
        { container_path: "/ro", host_path: dir, readonly: true },
        { container_path: "/made", host_path: missing },
      ];
      const id = await run(rt, "mounts", "sleep 100000", { mounts });
      const write = async (p: string) => (await rt.runtime.call<any>("ExecSync", { container_id: id, cmd: ["touch", p], timeout: 10 })).exit_code === 0;
      const status = await containerStatus(rt, id);
      return {
        read: await execOut(rt, id, ["cat", "/ro/f"]),
        rw: await write("/rw/new"),
        ro: await write("/ro/new"),
        made: fs.statSync(missing).isDirectory(),
        reported: status.mounts.map((m: any) => [m.container_path, path.relative(rt.work, m.host_path), m.readonly]),
      };
    },
    check: (seen) =>
      expect(seen).toEqual({
        read: "from host\n",
        rw: true,
        ro: false,
        made: true,
        reported: [["/rw", "mount-src", false], ["/ro", "mount-src", true], ["/made", "mount-missing", false]],
      }),
  },
  {
    desc: "UpdateContainerResources changes a running container's memory limit in its cgroup",
    run: async (rt) => {
      const id = await run(rt, "update", "sleep 100000", ctrLinux({}, { resources: { memory_limit_in_bytes: 64 * 1024 * 1024 } }));
      const limit = async () => (await execOut(rt, id, ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"])).trim();
      const before = await limit();
      await call(rt, "UpdateContainerResources", { container_id: id, linux: { memory_limit_in_bytes: 96 * 1024 * 1024 } });
      return { before, after: await limit() };
    },
    check: (seen) => expect(seen).toEqual({ before: String(64 * 1024 * 1024), after: String(96 * 1024 * 1024) }),
  },
  {
    desc: "ContainerStatus reports the resources applied by UpdateContainerResources",
    run: async (rt) => {
      const id = await run(rt, "update-status", "sleep 100000");
      await call(rt, "UpdateContainerResources", { container_id: id, linux: { memory_limit_in_bytes: 80 * 1024 * 1024, cpu_shares: 256 } });
      const r = (await containerStatus(rt, id)).resources.linux;
      return { memory: r.memory_limit_in_bytes, shares: r.cpu_shares };
    },
    check: (seen) => expect(seen).toEqual({ memory: String(80 * 1024 * 1024), shares: "256" }),
  },
  {
    desc: "StopContainer uses the config's stop_signal",
    skiffOnly: "containerd 1.6 predates ContainerConfig.stop_signal (Kubernetes 1.33)",
    run: async (rt) => {
      const id = await run(rt, "stop-signal", "trap 'exit 7' USR1; echo ready; while true; do sleep 0.1; done", { stop_signal: "SIGUSR1" });
      await loggedStdout(rt, id, "ready");
      await call(rt, "StopContainer", { container_id: id, timeout: 30 });
      return { ...(await exitOf(rt, id)), reported: (await containerStatus(rt, id)).stop_signal };
    },
    check: (seen) => expect(seen).toEqual({ state: "CONTAINER_EXITED", exit_code: 7, reason: "Error", message: "", startedAndFinished: true, reported: "SIGUSR1" }),
  },
  {
    desc: "GetContainerEvents streams a container's created, started, stopped and deleted events with the pod's status",
    skiffOnly: "containerd 1.6 has no GetContainerEvents (it came with 1.7)",
    run: async (rt) => {
      const stream = (rt.runtime.raw as any).GetContainerEvents({});
      const events: any[] = [];
      stream.on("data", (e: any) => events.push(e));
      stream.on("error", () => undefined);
      try {
        await new Promise((r) => setTimeout(r, 200));
        const id = await run(rt, "evented", "exit 0");
        await exitedStatus(rt, id);
        await call(rt, "RemoveContainer", { container_id: id });
        const until = Date.now() + 10_000;
        while (events.filter((e) => e.container_id === id).length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        return events.filter((e) => e.container_id === id).map((e) => [e.container_event_type, e.pod_sandbox_status?.metadata?.name]);
      } finally {
        stream.cancel();
      }
    },
    check: (seen) =>
      expect(seen).toEqual([
        ["CONTAINER_CREATED_EVENT", "lifecycle"],
        ["CONTAINER_STARTED_EVENT", "lifecycle"],
        ["CONTAINER_STOPPED_EVENT", "lifecycle"],
        ["CONTAINER_DELETED_EVENT", "lifecycle"],
      ]),
  },
];

runCases("container lifecycle and status", rts, cases);
