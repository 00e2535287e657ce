/**
 * critest's framework, as the specs under test/integration/critest/ need it: configs
 * shaped the way critest sends them (which is not the kubelet's shape: no namespace
 * options, so the containers of a pod share its PID namespace and the pod has an infra
 * process; attempt 2; no log directory unless a spec asks for one; `linux` with only a
 * cgroup parent), the calls it makes, and its CRI log parser. One skiff per test file
 * (test/integration/cri/pod-fixtures.ts `startPodTestEnv`), with the critest stand-in
 * images pushed and the busybox image pulled.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { type PodTestEnv, TEST_HOST_PORT, mountsUnder, startPodTestEnv, waitFor } from "../cri/pod-fixtures.ts";
import { isRoot } from "../harness.ts";
import { type CritestImageName, type CritestImages, pushCritestImages } from "./critest-images.ts";

export { waitFor };

type Json = Record<string, any>;
export type Pod = { id: string; config: Json };
export type Exec = { stdout: string; stderr: string; exitCode: number };

/** critest's DefaultContainerCommand and pauseCmd. */
export const TOP = ["top"];
export const PAUSE = ["sh", "-c", "top"];

/** The config of critest's createPrivilegedPodSandbox's pod (`over` for runPod). */
export const PRIVILEGED_POD = { linux: { cgroup_parent: "", security_context: { privileged: true } } };

/** Runs a command on the host; fails with its stderr. */
export function hostRun(...cmd: string[]): void {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr.toString()}`);
}

let seq = 0;
/** critest's names carry a UUID; a counter does here. */
export const uuid = () => `${process.pid.toString(36)}-${(++seq).toString(36)}`;

/** The port critest's host-network web server listens on (12003 there; one of this process's own here). */
export const HOST_WEB_PORT = TEST_HOST_PORT + 3;

export type CritestEnv = Omit<PodTestEnv, "runPod" | "runContainer" | "exec"> & {
  critest: CritestImages;
  /** A temp dir of this file's own, for log directories and host paths. */
  tmp: string;
  /** A PodSandboxConfig as critest builds it (framework.CreatePodSandboxForContainer), with `over` merged on top. */
  podConfig(prefix: string, over?: Json): Json;
  /** RunPodSandbox of `podConfig(prefix, over)`. */
  runPod(prefix: string, over?: Json): Promise<Pod>;
  /** A pod with a log directory of its own under `tmp` (critest's createPodSandboxWithLogDirectory). */
  runPodWithLogs(prefix: string, over?: Json): Promise<Pod>;
  /** A ContainerConfig as critest builds it: busybox, attempt 2, `command`, an empty `linux`; `over` on top. */
  ctrConfig(prefix: string, command: string[] | undefined, over?: Json): Json;
  /** CreateContainer, pulling the image first when it is not there (critest's CreateContainerWithError). */
  create(pod: Pod, config: Json): Promise<string>;
  start(id: string): Promise<void>;
  /** create + start. */
  run(pod: Pod, config: Json): Promise<string>;
  status(id: string, verbose?: boolean): Promise<Json>;
  /** Polls ContainerStatus until the container is in `state`; returns the status. */
  waitState(id: string, state: "CONTAINER_RUNNING" | "CONTAINER_EXITED"): Promise<Json>;
  /** ExecSync, with the exit code as the answer has it (critest's client turns a non-zero one into an error). */
  execSync(id: string, cmd: string[], timeout?: number): Promise<Exec>;
  /** critest's execSyncContainer: exit 0 and nothing on stderr; returns stdout. */
  execOk(id: string, cmd: string[]): Promise<string>;
  /** StopPodSandbox then RemovePodSandbox, each of which must succeed (critest's AfterEach). */
  cleanup(pod: Pod): Promise<void>;
};

export type LogLine = { stream: string; log: string };

/**
 * critest's parseLogLine: each line of the CRI log at `logDirectory/logPath`, split into
 * time (which must parse as RFC 3339), stream and the text after the tag, plus "\n".
 */
export function parseLogLines(pod: Pod, logPath: string): LogLine[] {
  const file = path.join(pod.config.log_directory, logPath);
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, "utf8");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [time, stream, , ...rest] = l.split(" ");
      expect(Number.isNaN(Date.parse(time!))).toBe(false);
      return { stream: stream!, log: `${rest.join(" ")}\n` };
    });
}

/** Waits until the log at `logPath` has the line `log` on `stream` (critest's verifyLogContents, which reads after the exit). */
export function logShows(pod: Pod, logPath: string, log: string | RegExp, stream = "stdout"): Promise<LogLine[]> {
  const has = (l: LogLine) => l.stream === stream && (typeof log === "string" ? l.log === log : log.test(l.log));
  return waitFor(`${JSON.stringify(String(log))} on ${stream} in ${logPath}`, async () => {
    const lines = parseLogLines(pod, logPath);
    return lines.some(has) ? lines : undefined;
  });
}

/** critest's checkMainPage: GET `url` until it answers (up to a minute), then it must be 200. */
export async function checkMainPage(url: string): Promise<void> {
  const res = await waitFor(`${url} to answer`, () => fetch(url, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined), 60_000);
  await res.body?.cancel();
  expect(res.status).toBe(200);
}

/** The gRPC code name of a call's failure, or "OK". */
export async function codeName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    const { status } = await import("@grpc/grpc-js");
    const code = (err as { code?: number }).code;
    return Object.entries(status).find(([, v]) => v === code)?.[0] ?? `not a gRPC error: ${(err as Error).message}`;
  }
}

/** The environment, with the stand-in images `images` (critest-images.ts) in the registry. */
export async function startCritestEnv(images: readonly CritestImageName[] = []): Promise<CritestEnv> {
  const base = await startPodTestEnv();
  try {
    const host = base.images.busybox.split("/")[0]!;
    const critest = await pushCritestImages(host, HOST_WEB_PORT, images);
    const tmp = fs.mkdtempSync("/tmp/skiff-critest-");
    const close = base.close;
    const env = base as unknown as CritestEnv;
    const call = env.call;
    Object.assign(env, {
      critest,
      tmp,
      podConfig: (prefix: string, over: Json = {}) => ({
        metadata: { name: `${prefix}${uuid()}`, uid: `cri-test-uid${uuid()}`, namespace: `cri-test-namespace${uuid()}`, attempt: 2 },
        linux: { cgroup_parent: "" },
        labels: {},
        ...over,
      }),
      async runPod(prefix: string, over: Json = {}) {
        const config = env.podConfig(prefix, over);
        return { id: (await call("RunPodSandbox", { config })).pod_sandbox_id, config };
      },
      async runPodWithLogs(prefix: string, over: Json = {}) {
        const logDirectory = fs.mkdtempSync(path.join(tmp, "podLogTest"));
        return env.runPod(prefix, { log_directory: logDirectory, ...over });
      },
      ctrConfig: (prefix: string, command: string[] | undefined, over: Json = {}) => ({
        metadata: { name: `${prefix}${uuid()}`, attempt: 2 },
        image: { image: base.images.busybox, user_specified_image: base.images.busybox },
        ...(command ? { command } : {}),
        linux: {},
        ...over,
      }),
      async create(pod: Pod, config: Json) {
        const image = { image: config.image.image };
        if (!(await env.d.image.call<Json>("ImageStatus", { image })).image) await env.d.image.call("PullImage", { image }, 60_000);
        return (await call("CreateContainer", { pod_sandbox_id: pod.id, config, sandbox_config: pod.config })).container_id;
      },
      async start(id: string) {
        await call("StartContainer", { container_id: id });
      },
      async run(pod: Pod, config: Json) {
        const id = await env.create(pod, config);
        await env.start(id);
        return id;
      },
      async status(id: string, verbose = false) {
        return (await call("ContainerStatus", { container_id: id, verbose })).status;
      },
      waitState: (id: string, state: string) =>
        waitFor(`container ${id} to be ${state}`, async () => {
          const s = await env.status(id);
          return s.state === state ? s : undefined;
        }, 60_000),
      async execSync(id: string, cmd: string[], timeout = 30) {
        const r = await call("ExecSync", { container_id: id, cmd, timeout }, (timeout + 30) * 1000);
        return { stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString(), exitCode: r.exit_code };
      },
      async execOk(id: string, cmd: string[]) {
        const r = await env.execSync(id, cmd);
        expect({ cmd, exitCode: r.exitCode, stderr: r.stderr }).toEqual({ cmd, exitCode: 0, stderr: "" });
        return r.stdout;
      },
      async cleanup(pod: Pod) {
        await call("StopPodSandbox", { pod_sandbox_id: pod.id });
        await call("RemovePodSandbox", { pod_sandbox_id: pod.id });
      },
      async close() {
        try {
          await close();
        } finally {
          for (const m of mountsUnder(tmp).reverse()) Bun.spawnSync(["umount", "-l", m]);
          fs.rmSync(tmp, { recursive: true, force: true });
        }
      },
    });
    return env;
  } catch (err) {
    await base.close();
    throw err;
  }
}

/**
 * One environment for a test file: started in beforeAll (as root only) and handed to
 * `use`, which may set up more, then closed in afterAll.
 */
export function useCritestEnv(images: readonly CritestImageName[], use: (env: CritestEnv) => void | Promise<void>): void {
  let env: CritestEnv | undefined;
  beforeAll(async () => {
    if (!isRoot) return;
    env = await startCritestEnv(images);
    await use(env);
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  }, 120_000);
}
