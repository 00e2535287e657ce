/**
 * What a kubelet sends, as grpc-js JSON: pod and container configs with the namespace
 * options the kubelet sets for an ordinary pod (network and IPC of the pod, a PID
 * namespace per container), and the call sequences it makes. Every helper takes the
 * runtime to talk to, so a case runs the same steps against skiff and containerd.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { waitFor } from "../cri/pod-fixtures.ts";
import type { Runtime } from "./runtimes.ts";

export { waitFor };

/** The namespace options of an ordinary pod (no host namespaces, no shared PID ns). */
export const KUBELET_NAMESPACES = { network: "POD", pid: "CONTAINER", ipc: "POD" } as const;

export type Pod = { id: string; config: Record<string, any> };

/**
 * A PodSandboxConfig for pod `name` (unique within a file: both runtimes get the same
 * names, so their statuses compare equal). `over` replaces top-level fields; `linux`
 * in it replaces the whole linux section.
 */
export function podConfig(rt: Runtime, name: string, over: Record<string, unknown> = {}): Record<string, any> {
  return {
    metadata: { name, namespace: "conformance", uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    log_directory: path.join(rt.work, "logs", name),
    labels: { app: name, suite: "conformance" },
    annotations: { "example.com/pod": name },
    linux: { security_context: { namespace_options: KUBELET_NAMESPACES } },
    ...over,
  };
}

/** The linux section of a pod config with these security context fields on top of the kubelet's namespaces. */
export function podLinux(security: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { namespace_options, ...rest } = security as { namespace_options?: object };
  return { linux: { ...extra, security_context: { namespace_options: { ...KUBELET_NAMESPACES, ...namespace_options }, ...rest } } };
}

/** A ContainerConfig running `script` with `sh -c`; log at `<name>/0.log` as the kubelet names it. */
export function ctrConfig(name: string, image: string, script: string, over: Record<string, unknown> = {}): Record<string, any> {
  return {
    metadata: { name, attempt: 0 },
    image: { image },
    command: ["sh", "-c", script],
    log_path: `${name}/0.log`,
    labels: { ctr: name },
    annotations: { "example.com/ctr": name },
    linux: { security_context: { namespace_options: KUBELET_NAMESPACES } },
    ...over,
  };
}

/** The linux section of a container config: these security context fields over the kubelet's namespaces. */
export function ctrLinux(security: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return podLinux(security, extra);
}

const LONG = 60_000;

export async function runPod(rt: Runtime, name: string, over: Record<string, unknown> = {}): Promise<Pod> {
  const config = podConfig(rt, name, over);
  const r = await rt.runtime.call<any>("RunPodSandbox", { config }, LONG);
  return { id: r.pod_sandbox_id, config };
}

export async function createContainer(rt: Runtime, pod: Pod, config: Record<string, unknown>): Promise<string> {
  const r = await rt.runtime.call<any>("CreateContainer", { pod_sandbox_id: pod.id, config, sandbox_config: pod.config }, LONG);
  return r.container_id;
}

export async function startContainer(rt: Runtime, id: string): Promise<void> {
  await rt.runtime.call("StartContainer", { container_id: id }, LONG);
}

/** CreateContainer then StartContainer; the container's id. */
export async function runContainer(rt: Runtime, pod: Pod, config: Record<string, unknown>): Promise<string> {
  const id = await createContainer(rt, pod, config);
  await startContainer(rt, id);
  return id;
}

export async function containerStatus(rt: Runtime, id: string, verbose = false): Promise<any> {
  return (await rt.runtime.call<any>("ContainerStatus", { container_id: id, verbose })).status;
}

export async function podStatus(rt: Runtime, id: string): Promise<any> {
  return (await rt.runtime.call<any>("PodSandboxStatus", { pod_sandbox_id: id })).status;
}

/** The container's status once it has exited. */
export function exitedStatus(rt: Runtime, id: string): Promise<any> {
  return waitFor(`${rt.name} container ${id} to exit`, async () => {
    const s = await containerStatus(rt, id);
    return s.state === "CONTAINER_EXITED" ? s : undefined;
  });
}

export type ExecResult = { code: number; stdout: string; stderr: string };

export async function execSync(rt: Runtime, id: string, cmd: string[], timeout = 10): Promise<ExecResult> {
  const r = await rt.runtime.call<any>("ExecSync", { container_id: id, cmd, timeout }, (timeout + 20) * 1000);
  return { code: r.exit_code, stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString() };
}

/** stdout of a command that must succeed in the container. */
export async function execOut(rt: Runtime, id: string, cmd: string[]): Promise<string> {
  const r = await execSync(rt, id, cmd);
  if (r.code !== 0) throw new Error(`${rt.name}: ${cmd.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The container's CRI log file as it is now ("" when missing). */
export async function logText(rt: Runtime, id: string): Promise<string> {
  const p = (await containerStatus(rt, id)).log_path as string;
  return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : "";
}

/** One line of a CRI log: time, stream, P(artial) or F(ull), and the text (which may end in "\r"). */
export const CRI_LOG_LINE = /^(\S+) (stdout|stderr) ([PF]) ([^\n]*)$/;

/** The messages of a CRI log, by stream: the text after `<time> <stream> <P|F> `, partial lines joined. */
export function logMessages(text: string): { stdout: string; stderr: string } {
  const out = { stdout: "", stderr: "" };
  for (const line of text.split("\n")) {
    const m = CRI_LOG_LINE.exec(line);
    if (!m) continue;
    out[m[2] as "stdout" | "stderr"] += m[4] + (m[3] === "F" ? "\n" : "");
  }
  return out;
}

/** Waits for `want` in the container's stdout as logged, and returns the log's stdout. */
export function loggedStdout(rt: Runtime, id: string, want: string | RegExp): Promise<string> {
  return waitFor(`${rt.name} log of ${id} to show ${want}`, async () => {
    const out = logMessages(await logText(rt, id)).stdout;
    return (typeof want === "string" ? out.includes(want) : want.test(out)) ? out : undefined;
  });
}

/** A pod with one running container that sleeps; for cases that look inside. */
export async function sleeper(rt: Runtime, image: string, name: string, ctrOver: Record<string, unknown> = {}, podOver: Record<string, unknown> = {}) {
  const pod = await runPod(rt, name, podOver);
  const id = await runContainer(rt, pod, ctrConfig(name, image, "sleep 100000", ctrOver));
  return { pod, id };
}
