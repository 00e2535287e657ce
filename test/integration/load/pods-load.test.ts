/**
 * A node's worth of pods at once: 100 pods started together (RunPodSandbox +
 * CreateContainer + StartContainer each, as the kubelet's pod workers do) while a
 * kubelet-shaped poller lists pods, containers and their stats every second; then all
 * stopped and removed together. No call may fail, and afterwards nothing may be left:
 * namespace pin, mount, cgroup, veth, IP, conmon or runc process, runc state, store row.
 *
 * Nothing here is timed: the calls get generous deadlines, and the test waits for
 * conditions, so a slow or busy machine makes it slower, not red.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as path from "node:path";
import { isRoot } from "../harness.ts";
import { containerConfig, mountsUnder, podConfig, type PodTestEnv, SHARED_PID, startPodTestEnv, TEST_BRIDGE } from "../cri/pod-fixtures.ts";

const PODS = 100;
/** Every tenth pod shares its PID namespace, so it has an infra process too. */
const withInfra = (i: number) => i % 10 === 0;
const DEADLINE_MS = 150_000;

let env: PodTestEnv;

/** Lists and stats every second, as the kubelet's PLEG relist and stats provider do; keeps every failure. */
function startPoller() {
  const failures: string[] = [];
  let rounds = 0;
  let running = true;
  const methods = ["ListPodSandbox", "ListContainers", "ListContainerStats", "ListPodSandboxStats"];
  const done = (async () => {
    while (running) {
      const tick = Bun.sleep(1000);
      await Promise.all(methods.map((m) => env.call(m, {}, 30_000).catch((err: Error) => failures.push(`${m}: ${err.message}`))));
      rounds++;
      await tick;
    }
  })();
  return {
    failures,
    rounds: () => rounds,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Processes whose command line mentions `needle` and whose name is one of `comms`. */
function processes(comms: string[], needle: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const comm = fs.readFileSync(`/proc/${e}/comm`, "utf8").trim();
      if (comms.includes(comm) && fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle)) out.push(`${comm} ${e}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Everything the pods could leave on the host. */
function leftovers(ids: string[]): Record<string, string[]> {
  const d = env.d;
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).map((e) => `${dir}/${e}`) : []);
  const cgroupDirs = fs.readdirSync("/sys/fs/cgroup").flatMap((ctrl) => list(path.join("/sys/fs/cgroup", ctrl, "skiff")));
  const db = new Database(path.join(d.root, "skiff.db"), { readonly: true });
  try {
    return {
      pins: ["net", "uts", "ipc", "pid"].flatMap((k) => list(path.join(d.state, "ns", k))),
      dirs: [...list(path.join(d.state, "sandboxes")), ...list(path.join(d.root, "sandboxes")), ...list(path.join(d.state, "containers")), ...list(path.join(d.root, "containers"))],
      mounts: mountsUnder(d.dir),
      cgroups: cgroupDirs.filter((c) => ids.some((id) => c.includes(id))),
      veths: Bun.spawnSync(["ip", "-o", "link", "show", "master", TEST_BRIDGE]).stdout.toString().split("\n").filter(Boolean),
      // host-local's allocations are files named by IP; its lock and cursor files stay.
      ips: list(path.join(path.dirname(env.logs), "ipam", "skiff-test")).filter((f) => /\/[0-9.]+$/.test(f)),
      processes: processes(["conmon", "runc", "catatonit", "sleep"], d.dir),
      runc: Bun.spawnSync(["runc", "--root", path.join(d.state, "runtime", "runc"), "list", "-q"]).stdout.toString().split("\n").filter(Boolean),
      rows: ["sandboxes", "containers", "operations"].flatMap((t) => {
        const n = (db.query(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
        return n === 0 ? [] : [`${t}: ${n}`];
      }),
    };
  } finally {
    db.close();
  }
}

describe.skipIf(!isRoot)("load", () => {
  beforeAll(async () => {
    env = await startPodTestEnv();
  }, 120_000);

  afterAll(async () => {
    await env?.close();
  }, 180_000);

  test(`${PODS} pods started at once under a kubelet-shaped poller, then all removed, leave nothing behind`, async () => {
    const empty = leftovers([]);
    const poller = startPoller();
    const started = await Promise.all(
      Array.from({ length: PODS }, async (_, i) => {
        const name = `load-${i}`;
        const over = withInfra(i) ? SHARED_PID : {};
        const config = podConfig(name, path.join(env.logs, name), over);
        const pod = (await env.call("RunPodSandbox", { config }, DEADLINE_MS)).pod_sandbox_id as string;
        const c = await env.call("CreateContainer", { pod_sandbox_id: pod, config: containerConfig("sleeper", env.images.busybox, "sleep 3600", over), sandbox_config: config }, DEADLINE_MS);
        await env.call("StartContainer", { container_id: c.container_id }, DEADLINE_MS);
        return { pod, container: c.container_id as string };
      }),
    );
    // A few more rounds with every pod up, so the stats calls see all of them.
    const from = poller.rounds();
    while (poller.rounds() < from + 3) await Bun.sleep(200);

    const pods = (await env.call("ListPodSandbox", {}, 30_000)).items;
    expect(pods.length).toBe(PODS);
    expect(pods.every((p: any) => p.state === "SANDBOX_READY")).toBe(true);
    const running = (await env.call("ListContainers", { filter: { state: { state: "CONTAINER_RUNNING" } } }, 30_000)).containers;
    expect(running.length).toBe(PODS);
    const stats = (await env.call("ListPodSandboxStats", {}, 30_000)).stats;
    expect(stats.length).toBe(PODS);
    const ips = await Promise.all(started.map(async ({ pod }) => (await env.call("PodSandboxStatus", { pod_sandbox_id: pod }, 30_000)).status.network.ip));
    expect(new Set(ips).size).toBe(PODS);

    await Promise.all(
      started.map(async ({ pod }) => {
        await env.call("StopPodSandbox", { pod_sandbox_id: pod }, DEADLINE_MS);
        await env.call("RemovePodSandbox", { pod_sandbox_id: pod }, DEADLINE_MS);
      }),
    );
    await poller.stop();
    expect(poller.failures).toEqual([]);
    expect((await env.call("ListPodSandbox", {}, 30_000)).items).toEqual([]);
    expect(leftovers(started.flatMap(({ pod, container }) => [pod, container]))).toEqual(empty);
  }, 170_000);
});
