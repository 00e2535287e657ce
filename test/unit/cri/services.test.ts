/** The CRI handlers in-process, served by skiff's gRPC server on a socket to connect's client, with the fake platform. */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createCriClient } from "../../../src/cli/cri-client.ts";
import { createGrpcServer } from "../../../src/server/grpc-server.ts";
import { createLogger } from "../../../src/logger.ts";
import { defaultConfig } from "../../../src/config/index.ts";
import type { CriContext } from "../../../src/cri/context.ts";
import { registerCriServices } from "../../../src/cri/runtime-service.ts";
import { CgroupDriver } from "../../../src/gen/runtime/v1/api_pb.ts";
import { FakePlatform } from "../../../src/platform/fake/index.ts";
import { createErrorInterceptor, createReadinessInterceptor } from "../../../src/server/interceptors.ts";
import { Readiness } from "../../../src/server/readiness.ts";
import { ImageManager } from "../../../src/image/image-manager.ts";
import { openStore, systemClock } from "../../../src/store/index.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-cri-"));
const servers: { close(graceMs: number): Promise<void> }[] = [];
const clients: { close(): void }[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close(100);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function setup(overrides: Partial<CriContext> = {}) {
  const readiness = new Readiness();
  readiness.ready();
  const root = fs.mkdtempSync(path.join(dir, "s-"));
  const base = defaultConfig("linux");
  const config = { ...base, paths: { ...base.paths, root } };
  const store = openStore(path.join(root, "skiff.db"));
  const platform = new FakePlatform();
  const log = createLogger({ level: "silent" });
  const ctx: CriContext = {
    config,
    configSource: "<test>",
    store,
    images: new ImageManager({ config, store, platform, want: { os: "linux", architecture: "amd64" }, log }),
    clock: systemClock,
    platform,
    host: { cgroupDriver: "systemd", cgroupLayout: "v2", canLowerOomScoreAdj: true },
    readiness,
    log,
    version: "9.9.9",
    ...overrides,
  };
  const server = createGrpcServer({
    routes: (router) => registerCriServices(router, ctx),
    interceptors: [createErrorInterceptor(), createReadinessInterceptor(ctx.readiness)],
    readMaxBytes: 4 * 1024 * 1024,
    writeMaxBytes: 16 * 1024 * 1024,
    log,
  });
  const socket = path.join(root, "cri.sock");
  await server.listen({ kind: "unix", path: socket }, { mode: 0o600, group: "" });
  servers.push(server);
  const client = createCriClient(`unix://${socket}`);
  clients.push(client);
  return { ctx, runtime: client.runtime, image: client.image };
}

const codeOf = (p: Promise<unknown>) => p.then(() => undefined, (e) => ConnectError.from(e));

describe("Version", () => {
  test("names skiff and the injected version", async () => {
    const { runtime } = await setup();
    expect(await runtime.version({})).toMatchObject({ runtimeName: "skiff", runtimeVersion: "9.9.9", runtimeApiVersion: "v1" });
  });
});

describe("readiness", () => {
  test("while starting, Status is Unavailable but Version answers", async () => {
    const readiness = new Readiness();
    const { runtime } = await setup({ readiness });
    expect((await codeOf(runtime.status({})))?.code).toBe(Code.Unavailable);
    expect((await runtime.version({})).runtimeName).toBe("skiff");
  });

  test("while stopping, calls are Unavailable with the reason", async () => {
    const { ctx, runtime } = await setup();
    ctx.readiness.stopping();
    const err = await codeOf(runtime.runtimeConfig({}));
    expect(err?.code).toBe(Code.Unavailable);
    expect(err?.rawMessage).toContain("shutting down");
  });
});

describe("RuntimeConfig", () => {
  const cases = [
    { desc: "a systemd host reports SYSTEMD", driver: "systemd", want: CgroupDriver.SYSTEMD },
    { desc: "a cgroupfs host reports CGROUPFS", driver: "cgroupfs", want: CgroupDriver.CGROUPFS },
  ] as const;
  for (const tc of cases) {
    test(tc.desc, async () => {
      const { runtime } = await setup({ host: { cgroupDriver: tc.driver, cgroupLayout: "v2", canLowerOomScoreAdj: true } });
      expect((await runtime.runtimeConfig({})).linux?.cgroupDriver).toBe(tc.want);
    });
  }

  test("on windows there is no linux part", async () => {
    const platform = new FakePlatform();
    Object.defineProperty(platform, "os", { value: "windows" });
    const { runtime } = await setup({ platform });
    expect((await runtime.runtimeConfig({})).linux).toBeUndefined();
  });
});

describe("UpdateRuntimeConfig", () => {
  test("stores the pod CIDR in the store", async () => {
    const { ctx, runtime } = await setup();
    await runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: "10.1.0.0/16" } } });
    expect(ctx.store.runtimeState.get("pod_cidr")).toBe("10.1.0.0/16");
  });

  test("an invalid CIDR is InvalidArgument and stores nothing", async () => {
    const { ctx, runtime } = await setup();
    const err = await codeOf(runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: "nope" } } }));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(ctx.store.runtimeState.get("pod_cidr")).toBeUndefined();
  });
});

describe("Status", () => {
  test("verbose info redacts registry secrets", async () => {
    const config = defaultConfig("linux");
    const { runtime } = await setup({
      config: { ...config, registry: { ...config.registry, hosts: { "r.example:5000": { ...anyHost(config), password: "hunter2" } } } },
    });
    const res = await runtime.status({ verbose: true });
    expect(res.info.config).not.toContain("hunter2");
    expect(JSON.parse(res.info.versions ?? "{}").skiff).toBe("9.9.9");
  });

  test("lists each handler's features, and the default handler's once more under the name \"\"", async () => {
    const config = defaultConfig("linux");
    const runtimes = { ...config.runtimes, crun: { ...config.runtimes.runc! } };
    const { runtime } = await setup({ config: { ...config, runtimes }, runtimeFeatures: { runc: { recursiveReadOnlyMounts: true }, crun: { recursiveReadOnlyMounts: false } } });
    const res = await runtime.status({});
    const features = Object.fromEntries(res.runtimeHandlers.map((h) => [h.name, h.features?.recursiveReadOnlyMounts]));
    expect(features).toEqual({ runc: true, crun: false, "": true });
  });
});

describe("Unimplemented", () => {
  test("an unbuilt unary RPC names itself", async () => {
    const { runtime } = await setup();
    const err = await codeOf(runtime.checkpointContainer({}));
    expect(err?.code).toBe(Code.Unimplemented);
    expect(err?.rawMessage).toContain("runtime.v1.RuntimeService/CheckpointContainer is not implemented");
    // Exec checks its request first, then needs the streaming server, which this context lacks.
    expect((await codeOf(runtime.exec({})))?.code).toBe(Code.InvalidArgument);
    const exec = await codeOf(runtime.exec({ containerId: "c", cmd: ["true"], stdout: true }));
    expect(exec?.code).toBe(Code.Unimplemented);
    expect(exec?.rawMessage).toContain("the streaming server (exec, attach, port-forward) is not running");
  });

  test("pod RPCs without pods (another OS, or a failed start) answer Unimplemented and say why", async () => {
    const { runtime } = await setup();
    const err = await codeOf(runtime.runPodSandbox({}));
    expect(err?.code).toBe(Code.Unimplemented);
    expect(err?.rawMessage).toContain("pods and containers are not available");
  });

  test("a streaming pod RPC without pods answers Unimplemented on first read", async () => {
    const { runtime } = await setup();
    const err = await codeOf((async () => {
      for await (const _ of runtime.streamPodSandboxMetrics({})) {
      }
    })());
    expect(err?.code).toBe(Code.Unimplemented);
    expect(err?.rawMessage).toContain("pods and containers are not available");
  });

  test("ListMetricDescriptors answers without pods: the table is fixed", async () => {
    const { runtime } = await setup();
    const { descriptors } = await runtime.listMetricDescriptors({});
    const names = descriptors.map((d) => d.name);
    expect(names).toContain("container_cpu_usage_seconds_total");
    expect(new Set(names).size).toBe(names.length);
  });
});

/** A registry host entry with every field at its zero value, whatever the schema adds later. */
function anyHost(config: ReturnType<typeof defaultConfig>) {
  return Object.values(config.registry.hosts)[0] ?? ({} as never);
}
