/**
 * Fixtures for pod tests against a real skiff: a test-only CNI network (its own bridge,
 * subnet and IPAM data dir, fenced off from the outside world by a FORWARD drop rule),
 * and `withX`-style builders of CRI pod and container configs in grpc-js's JSON shape.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pushPodImages, type PodImages } from "../../support/pod-images.ts";
import { startRegistry } from "../../support/registry.ts";
import { type Daemon, startDaemon } from "../harness.ts";

/**
 * A bridge and /24 of this test process's own, so that test runs in two checkouts at
 * once (or a bench beside a test run) never share a bridge, a subnet or a fence rule.
 */
const NET_TAG = (process.pid % 0xffff).toString(16).padStart(4, "0");
const NET_OCTET = 150 + (process.pid % 50);
export const TEST_BRIDGE = `skifft${NET_TAG}`;
export const TEST_SUBNET = `10.${NET_OCTET}.${(process.pid >> 6) % 256}.0/24`;
export const TEST_GATEWAY = TEST_SUBNET.replace(/\.0\/24$/, ".1");
/** A host port for the hostPort test, from this process's own range. */
export const TEST_HOST_PORT = 20000 + (process.pid % 20000);

function run(cmd: string[]): { ok: boolean; out: string } {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { ok: p.exitCode === 0, out: `${p.stdout.toString()}${p.stderr.toString()}` };
}

const FENCE = ["FORWARD", "-s", TEST_SUBNET, "!", "-d", TEST_SUBNET, "-j", "DROP"];

/**
 * Writes the test conflist into `confDir` and fences the subnet in: pods may talk to
 * each other and to the host, never beyond it. Returns the undo.
 */
export function setUpTestNetwork(confDir: string, ipamDir: string): () => void {
  fs.mkdirSync(confDir, { recursive: true });
  fs.writeFileSync(
    path.join(confDir, "10-test.conflist"),
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "skiff-test",
      plugins: [
        {
          type: "bridge",
          bridge: TEST_BRIDGE,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: "host-local", ranges: [[{ subnet: TEST_SUBNET, gateway: TEST_GATEWAY }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: ipamDir },
        },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
      ],
    }),
  );
  if (!run(["iptables", "-C", ...FENCE]).ok) run(["iptables", "-I", ...FENCE]);
  return () => {
    while (run(["iptables", "-D", ...FENCE]).ok) {
      // remove every copy
    }
    run(["ip", "link", "del", TEST_BRIDGE]);
  };
}

let seq = 0;

type Json = Record<string, any>;

/**
 * `linux` as the kubelet sends it, with `over` merged in: the kubelet always sends
 * namespace options, and gives each container its own PID namespace (`CONTAINER`) unless
 * the pod sets `shareProcessNamespace` (`POD`). Network, IPC and UTS default to the pod's.
 * An `over` that sets `namespace_options` (e.g. `{ pid: "POD" }`) wins key by key.
 */
function kubeletLinux(over: Json | undefined): Json {
  const sc: Json = over?.security_context ?? {};
  return { ...over, security_context: { ...sc, namespace_options: { pid: "CONTAINER", ...sc.namespace_options } } };
}

/** A PodSandboxConfig (grpc-js JSON) with a unique uid, shaped as the kubelet sends it; `over` is merged on top. */
export function podConfig(name: string, logDirectory: string, over: Record<string, unknown> = {}) {
  seq++;
  return {
    metadata: { name, namespace: "test", uid: `uid-${process.pid}-${seq}-${name}`, attempt: 0 },
    hostname: name,
    log_directory: logDirectory,
    labels: { app: name },
    ...over,
    linux: kubeletLinux(over.linux as Json | undefined),
  };
}

/** `over` for podConfig/containerConfig that shares one PID namespace in the pod (the kubelet's shareProcessNamespace). */
export const SHARED_PID = { linux: { security_context: { namespace_options: { pid: "POD" } } } };

/** A ContainerConfig (grpc-js JSON) running `args` via `sh -c`, shaped as the kubelet sends it. */
export function containerConfig(name: string, image: string, script: string, over: Record<string, unknown> = {}) {
  return {
    metadata: { name, attempt: 0 },
    image: { image },
    command: ["sh", "-c", script],
    log_path: `${name}/0.log`,
    labels: { c: name },
    ...over,
    linux: kubeletLinux(over.linux as Json | undefined),
  };
}

/** Removes every pod the daemon lists (their containers go with them), then stops it. */
export async function removePodsAndStop(d: Daemon): Promise<void> {
  const pods = await d.runtime.call<any>("ListPodSandbox", {}, 60_000);
  for (const p of pods.items ?? []) await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: p.id }, 60_000);
  await d.stop();
}

/** Polls `fn` until it returns a value that is not undefined, or fails after `ms`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** Mount points under `dir` in this host's mount table. */
export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(dir));
}

/** The gRPC error a call fails with; fails the test if the call succeeds. */
export async function codeOf(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error("the call succeeded");
}

/** A skiff with the test network and the pod images pulled, as the pod test files use it. */
export type PodTestEnv = {
  d: Daemon;
  images: PodImages;
  /** Where the pods' logs go. */
  logs: string;
  call<T = any>(method: string, req?: object, ms?: number): Promise<T>;
  /** RunPodSandbox of `podConfig(name, ..., over)`; returns the id. */
  runPod(name: string, over?: Record<string, unknown>): Promise<string>;
  /** CreateContainer + StartContainer of busybox running `script`; returns the id. */
  runContainer(pod: string, name: string, script: string, over?: Record<string, unknown>): Promise<string>;
  /** ExecSync's stdout as text, failing on a non-zero exit. */
  exec(container: string, cmd: string[]): Promise<string>;
  /** kill -9 of skiff, `meanwhile` (what happens while it is down), then a restart on the same dirs. */
  killAndRestart(meanwhile?: () => void): Promise<void>;
  /** Removes every pod, stops skiff and undoes the network, registry and dirs. */
  close(): Promise<void>;
};

export async function startPodTestEnv(opts: { extraConfig?: string; serverConfig?: string } = {}): Promise<PodTestEnv> {
  const reg = await startRegistry();
  const dir = fs.mkdtempSync("/tmp/skiff-pods-");
  const confDir = path.join(dir, "cni");
  const undoNetwork = setUpTestNetwork(confDir, path.join(dir, "ipam"));
  const logs = path.join(dir, "logs");
  let d: Daemon | undefined;
  const close = async () => {
    try {
      if (d) await removePodsAndStop(d);
    } finally {
      undoNetwork();
      await reg.stop();
      if (d) fs.rmSync(d.dir, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const images = await pushPodImages(reg.host);
    d = await startDaemon({ extraConfig: `\n[cni]\nconf_dir = "${confDir}"\nwrite_default = false\n${opts.extraConfig ?? ""}`, serverConfig: opts.serverConfig });
    await d.image.call("PullImage", { image: { image: images.busybox } }, 60_000);
    const env: PodTestEnv = {
      get d() {
        return d!;
      },
      images,
      logs,
      call: (method, req = {}, ms = 60_000) => d!.runtime.call(method, req, ms),
      async runPod(name, over = {}) {
        return (await env.call("RunPodSandbox", { config: podConfig(name, path.join(logs, name), over) })).pod_sandbox_id;
      },
      async runContainer(pod, name, script, over = {}) {
        const s = await env.call("PodSandboxStatus", { pod_sandbox_id: pod });
        const sandboxConfig = podConfig(s.status.metadata.name, path.join(logs, s.status.metadata.name));
        const c = await env.call("CreateContainer", { pod_sandbox_id: pod, config: containerConfig(name, images.busybox, script, over), sandbox_config: sandboxConfig });
        await env.call("StartContainer", { container_id: c.container_id });
        return c.container_id;
      },
      async exec(container, cmd) {
        const r = await env.call("ExecSync", { container_id: container, cmd, timeout: 10 });
        const out = Buffer.from(r.stdout).toString();
        if (r.exit_code !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exit_code}: ${out}${Buffer.from(r.stderr).toString()}`);
        return out;
      },
      async killAndRestart(meanwhile) {
        await d!.kill();
        meanwhile?.();
        d = await startDaemon({ reuseDir: d!.dir });
      },
      close,
    };
    return env;
  } catch (err) {
    await close();
    throw err;
  }
}
