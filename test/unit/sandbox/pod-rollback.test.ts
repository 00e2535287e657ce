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
  return {
    live,
    async create(req: { id: string }) {
      if (failAt.has("create")) throw new Error("runc create: boom");
      live.add(req.id);
      return { pid: 4242, conmonPid: 4241 };
    },
    async start(_id: string) {},
    async runDetached(id: string) {
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

function setup(failAt: Set<Step>) {
  const config = defaultConfig("linux");
  config.paths = { root: path.join(dir, "root"), state: path.join(dir, "state") };
  const platform = new FakePlatform();
  const mounted = trackMounts(platform);
  const runtime = fakeRuntime(failAt);
  const network = fakeNetwork(failAt);
  const handlerConfig = { ...config.runtimes.runc!, runtimePath: "/bin/sh" };
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
