/**
 * Fixtures for pod tests against a real skiff: a test-only CNI network (its own bridge,
 * subnet and IPAM data dir, fenced off from the outside world by a FORWARD drop rule),
 * and `withX`-style builders of CRI pod and container configs in grpc-js's JSON shape.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Daemon } from "../harness.ts";

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

/** A PodSandboxConfig (grpc-js JSON) with a unique uid; `over` is merged on top. */
export function podConfig(name: string, logDirectory: string, over: Record<string, unknown> = {}) {
  seq++;
  return {
    metadata: { name, namespace: "test", uid: `uid-${process.pid}-${seq}-${name}`, attempt: 0 },
    hostname: name,
    log_directory: logDirectory,
    labels: { app: name },
    linux: {},
    ...over,
  };
}

/** A ContainerConfig (grpc-js JSON) running `args` via `sh -c`. */
export function containerConfig(name: string, image: string, script: string, over: Record<string, unknown> = {}) {
  return {
    metadata: { name, attempt: 0 },
    image: { image },
    command: ["sh", "-c", script],
    log_path: `${name}/0.log`,
    labels: { c: name },
    ...over,
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
