/**
 * A failure at each step of RunPodSandbox and CreateContainer leaves nothing behind: no
 * pin, no mount, no dir, no network, no runtime container, no store row. The platform,
 * network and runtime are fakes that keep what is live; the dirs and store are real.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, PodSandboxConfigSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { defaultConfig } from "../../../src/config/index.ts";
import type { RuntimeHandlerConfig } from "../../../src/config/schema.ts";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { NamespaceMode } from "../../../src/gen/runtime/v1/api_pb.ts";
import { ContainerManager } from "../../../src/container/container-manager.ts";
import { SyscallError } from "../../../src/errors.ts";
import type { CniNetwork } from "../../../src/network/cni-network.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { FakePlatform } from "../../../src/platform/fake/index.ts";
import { RuntimeHandlers } from "../../../src/runtime/runtime-handlers.ts";
import { processIdentity } from "../../../src/runtime/linux/process-identity.ts";
import type { PodContext } from "../../../src/sandbox/pod-context.ts";
import { SandboxManager } from "../../../src/sandbox/sandbox-manager.ts";
import { openStore, type Store } from "../../../src/store/index.ts";

type Step = "network" | "create" | "infra";

/** A runtime that remembers which containers exist, and fails where told. */
function fakeRuntime(failAt: Set<Step>) {
  const live = new Set<string>();
  /** Every runtime verb called, with the id. */
  const calls: string[] = [];
  return {
    live,
    calls,
    async create(req: { id: string }) {
      if (failAt.has("create")) throw new Error("runc create: boom");
      live.add(req.id);
      return { pid: 4242, conmonPid: 4241 };
    },
    async start(_id: string) {},
    async runDetached(id: string) {
      calls.push(`run ${id}`);
      if (failAt.has("infra")) throw new Error("runc run: boom");
      live.add(id);
      // A real live process, so liveness checks by pid and start time hold.
      return processIdentity(process.pid)!;
    },
    async stop() {
      return { exitCode: 137, finishedAt: 1n, oomKilled: false };
    },
    async kill() {},
    async delete(id: string) {
      calls.push(`delete ${id}`);
      live.delete(id);
    },
    async state() {
      return undefined;
    },
    async exitInfo() {
      return undefined;
    },
    waitExit: () => new Promise<never>(() => {}),
    async execSync() {
      throw new Error("not in this test");
    },
    async update() {},
  };
}

function fakeNetwork(failAt: Set<Step>) {
  const live = new Set<string>();
  const net: CniNetwork & { live: Set<string> } = {
    live,
    async init() {},
    async reload() {},
    status: () => ({ ready: true, reason: "", message: "" }),
    async setUp(req) {
      live.add(req.sandboxId);
      if (failAt.has("network")) throw new Error("cni add: boom");
      return { ips: ["10.0.0.2"], results: [] };
    },
    async tearDown(req) {
      live.delete(req.sandboxId);
    },
    async check() {},
    async cachedIps() {
      return [];
    },
  };
  return net;
}

/** Mount bookkeeping for the fake: umount of something not mounted is EINVAL, as on Linux. */
function trackMounts(p: FakePlatform): Set<string> {
  const mounted = new Set<string>();
  p.on("mount", (_s, target) => void mounted.add(target));
  p.on("umount2", (target) => {
    if (!mounted.delete(target)) throw new SyscallError("umount2", 22, "EINVAL", target);
  });
  return mounted;
}

let dir: string;
let store: Store;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pod-rollback-"));
  store = openStore(":memory:");
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function setup(failAt: Set<Step>, handlerOver: Partial<RuntimeHandlerConfig> = {}) {
  const config = defaultConfig("linux");
  config.paths = { root: path.join(dir, "root"), state: path.join(dir, "state") };
  const platform = new FakePlatform();
  const mounted = trackMounts(platform);
  const runtime = fakeRuntime(failAt);
  const network = fakeNetwork(failAt);
  const handlerConfig = { ...config.runtimes.runc!, runtimePath: "/bin/sh", ...handlerOver };
  const handlers = RuntimeHandlers.of([{ name: "runc", config: handlerConfig, baseSpec: defaultLinuxSpec(), runtime: runtime as never, features: { recursiveReadOnlyMounts: false } }], "runc");
  const image = { id: "sha256:" + "a".repeat(64), chainId: null, refs: ["busybox:latest"], config: { architecture: "amd64", os: "linux", config: { Env: ["PATH=/bin"], Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [] } } };
  const ctx: PodContext = {
    config,
    store,
    platform,
    images: { resolve: (name: string) => (name === "busybox" ? image : undefined) } as never,
    network,
    handlers,
    host: { cgroupDriver: "cgroupfs", cgroupLayout: "v2", canLowerOomScoreAdj: true },
    specHost: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: true, ownOomScoreAdj: 0 },
    clock: () => 1n,
    log: { info() {}, warn() {}, debug() {}, error() {} } as never,
  };
  const sandboxes = new SandboxManager(ctx);
  const containers = new ContainerManager(ctx, sandboxes);
  return { sandboxes, containers, platform, mounted, runtime, network, config };
}

const podConfig = () => create(PodSandboxConfigSchema, { metadata: { name: "p", namespace: "ns", uid: "u" }, hostname: "p", logDirectory: path.join(dir, "logs") });

function expectNothingLeft(s: ReturnType<typeof setup>, keepSandbox?: string) {
  const rows = store.sandboxes.list().map((r) => r.id);
  expect(rows).toEqual(keepSandbox ? [keepSandbox] : []);
  expect(store.containers.list()).toEqual([]);
  expect([...s.mounted].filter((m) => !keepSandbox || !m.includes(keepSandbox))).toEqual([]);
  expect([...s.platform.pins.keys()].filter((p) => !keepSandbox || !p.endsWith(keepSandbox))).toEqual([]);
  expect([...s.network.live].filter((id) => id !== keepSandbox)).toEqual([]);
  expect([...s.runtime.live].filter((id) => id !== keepSandbox)).toEqual([]);
  for (const sub of ["root/sandboxes", "state/sandboxes", "root/containers", "state/containers"]) {
    const entries = fs.existsSync(path.join(dir, sub)) ? fs.readdirSync(path.join(dir, sub)) : [];
    expect(entries.filter((e) => e !== keepSandbox)).toEqual([]);
  }
}

describe("RunPodSandbox rolls back", () => {
  const cases: { desc: string; fail: Step | "pin" | "shm" }[] = [
    { desc: "when pinning the namespaces fails", fail: "pin" },
    { desc: "when mounting /dev/shm fails", fail: "shm" },
    { desc: "when CNI ADD fails", fail: "network" },
    { desc: "when the runtime cannot run the infra container", fail: "infra" },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      const s = setup(new Set(tc.fail === "pin" || tc.fail === "shm" ? [] : [tc.fail]));
      if (tc.fail === "pin") s.platform.injectError("pinNamespaces", new SyscallError("unshare", 1, "EPERM"));
      if (tc.fail === "shm") s.platform.injectError("mount", new SyscallError("mount", 12, "ENOMEM"));
      await expect(s.sandboxes.run(podConfig(), "")).rejects.toThrow();
      expectNothingLeft(s);
      // The name is free again.
      s.platform.clearErrors();
      if (tc.fail === "pin" || tc.fail === "shm") expect(await s.sandboxes.run(podConfig(), "")).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  test("a failure while CNI ADD is still running undoes the network only after ADD ends", async () => {
    const s = setup(new Set());
    const order: string[] = [];
    const { setUp, tearDown } = s.network;
    s.network.setUp = async (req) => {
      order.push("add started");
      await Bun.sleep(30);
      const res = await setUp(req);
      order.push("add done");
      return res;
    };
    s.network.tearDown = async (req) => {
      order.push("del");
      await tearDown(req);
    };
    s.platform.injectError("mount", new SyscallError("mount", 12, "ENOMEM"));
    await expect(s.sandboxes.run(podConfig(), "")).rejects.toThrow("ENOMEM");
    expect(order).toEqual(["add started", "add done", "del"]);
    expectNothingLeft(s);
  });

  test("a run that succeeds pins, mounts and records the pod ready", async () => {
    const s = setup(new Set());
    const id = await s.sandboxes.run(podConfig(), "");
    expect(store.sandboxes.get(id).state).toBe("ready");
    expect(store.sandboxes.get(id).ips).toEqual(["10.0.0.2"]);
    expect(s.platform.pins.size).toBe(3);
    await s.sandboxes.remove(id);
    expectNothingLeft(s);
  });
});

describe("CreateContainer rolls back", () => {
  const ctr = (over: object = {}) => create(ContainerConfigSchema, { metadata: { name: "c" }, image: { image: "busybox" }, logPath: "c/0.log", ...over });
  const cases: { desc: string; fail: "mount" | "create" | "spec" }[] = [
    { desc: "when the rootfs cannot be mounted", fail: "mount" },
    { desc: "when the runtime cannot create it", fail: "create" },
    { desc: "when the spec cannot be built from the request", fail: "spec" },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      const failAt = new Set<Step>();
      const s = setup(failAt);
      const pod = await s.sandboxes.run(podConfig(), "");
      if (tc.fail === "create") failAt.add("create");
      if (tc.fail === "mount") s.platform.injectError("mount", new SyscallError("mount", 22, "EINVAL"));
      const config = tc.fail === "spec" ? ctr({ workingDir: "relative/dir" }) : ctr();
      await expect(s.containers.create(pod, config)).rejects.toThrow();
      expectNothingLeft(s, pod);
      expect(store.sandboxes.get(pod).state).toBe("ready");
    });
  }

  test("a recursive read-only mount on a handler that cannot make one is refused naming the field, before anything is made", async () => {
    const s = setup(new Set());
    const pod = await s.sandboxes.run(podConfig(), "");
    const config = ctr({ mounts: [{ containerPath: "/m", hostPath: "/tmp", readonly: true, recursiveReadOnly: true }] });
    await expect(s.containers.create(pod, config)).rejects.toThrow("config.mounts[0].recursive_read_only");
    expectNothingLeft(s, pod);
  });
});

describe("pods without an infra process", () => {
  /** A pod as the kubelet sends one without shareProcessNamespace: each container its own PID namespace. */
  const ownPidPod = (over: { network?: NamespaceMode; ipc?: NamespaceMode; sysctls?: Record<string, string> } = {}) =>
    create(PodSandboxConfigSchema, {
      metadata: { name: "p", namespace: "ns", uid: "u" },
      hostname: "p",
      logDirectory: path.join(dir, "logs"),
      linux: {
        sysctls: over.sysctls ?? {},
        securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER, network: over.network ?? NamespaceMode.POD, ipc: over.ipc ?? NamespaceMode.POD } },
      },
    });

  test("a pod whose containers do not share a PID namespace runs no runtime container, and its sysctls are written as its namespaces are made", async () => {
    const s = setup(new Set());
    const id = await s.sandboxes.run(ownPidPod({ sysctls: { "net.core.somaxconn": "1024", "kernel.shmmni": "8192" } }), "");
    expect(s.runtime.calls).toEqual([]);
    expect(store.sandboxes.get(id).state).toBe("ready");
    const [kinds, , opts] = s.platform.callsOf("pinNamespaces")[0]!;
    expect(kinds).toEqual(["net", "uts", "ipc"]);
    expect(opts.sysctls).toEqual([
      { kind: "net", path: "net/core/somaxconn", value: "1024" },
      { kind: "ipc", path: "kernel/shmmni", value: "8192" },
      { kind: "net", path: "net/ipv4/ip_unprivileged_port_start", value: "0" },
      { kind: "net", path: "net/ipv4/ping_group_range", value: "0 2147483647" },
    ]);
    // Nothing can die under it: it stays ready until stopped.
    expect(s.sandboxes.get(id).state).toBe("ready");
    await s.sandboxes.stop(id);
    expect(store.sandboxes.get(id).state).toBe("notready");
    await s.sandboxes.remove(id);
    expect(s.runtime.calls).toEqual([]);
    expectNothingLeft(s);
  });

  test("a failed CNI ADD undoes the pod without any runtime call", async () => {
    const s = setup(new Set<Step>(["network"]));
    await expect(s.sandboxes.run(ownPidPod(), "")).rejects.toThrow("cni add: boom");
    expect(s.runtime.calls).toEqual([]);
    expectNothingLeft(s);
  });

  test("a handler with sandbox_process = always runs an infra process for every pod", async () => {
    const s = setup(new Set(), { sandboxProcess: "always" });
    const id = await s.sandboxes.run(ownPidPod(), "");
    expect(s.runtime.calls).toEqual([`run ${id}`]);
    // The runtime writes the sysctls into the infra's namespaces then, not skiff.
    expect(s.platform.callsOf("pinNamespaces")[0]![2].sysctls).toBeUndefined();
    await s.sandboxes.remove(id);
    expect(s.runtime.calls).toContain(`delete ${id}`);
    expectNothingLeft(s);
  });

  const refused: { desc: string; over: { network?: NamespaceMode; ipc?: NamespaceMode; sysctls: Record<string, string> }; field: string }[] = [
    { desc: "a net sysctl in a host-network pod", over: { network: NamespaceMode.NODE, sysctls: { "net.core.somaxconn": "1024" } }, field: 'config.linux.sysctls["net.core.somaxconn"]' },
    { desc: "an IPC sysctl in a host-IPC pod", over: { ipc: NamespaceMode.NODE, sysctls: { "kernel.shmmax": "1" } }, field: 'config.linux.sysctls["kernel.shmmax"]' },
    { desc: "a node-wide sysctl", over: { sysctls: { "vm.swappiness": "10" } }, field: 'config.linux.sysctls["vm.swappiness"]' },
    { desc: "a sysctl name that climbs out of /proc/sys", over: { sysctls: { "net/../../x": "1" } }, field: 'config.linux.sysctls["net/../../x"]' },
  ];
  for (const tc of refused) {
    test(`${tc.desc} is refused naming the key, before anything is made`, async () => {
      const s = setup(new Set());
      const err = await s.sandboxes.run(ownPidPod(tc.over), "").catch((e) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(String(err.message)).toContain(tc.field);
      expect(s.platform.calls).toEqual([]);
      expectNothingLeft(s);
    });
  }

  test("network usage is read through the pinned network namespace, not a process", async () => {
    const s = setup(new Set());
    s.platform.netDevText = "h1\nh2\n  eth0: 10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0\n";
    const id = await s.sandboxes.run(ownPidPod(), "");
    const u = s.sandboxes.usage(store.sandboxes.get(id));
    expect(u.infra).toBeUndefined();
    expect(u.interfaces).toEqual([{ name: "eth0", rxBytes: 10n, rxPackets: 1n, rxErrors: 0n, rxDropped: 0n, txBytes: 20n, txPackets: 2n, txErrors: 0n, txDropped: 0n }]);
    expect(s.platform.callsOf("readNetDev")).toEqual([[store.sandboxes.get(id).netns.net as string]]);
    await s.sandboxes.remove(id);
  });
});
