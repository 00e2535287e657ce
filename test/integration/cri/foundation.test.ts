/** The foundation RPCs through the real socket, with grpc-js as the (independent) client. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import pkg from "../../../package.json" with { type: "json" };
import { type Daemon, serviceMethods, startDaemon } from "../harness.ts";

/** The RPCs this build answers; every other one must say Unimplemented and name itself. */
const BUILT = new Set([
  "Version",
  "Status",
  "RuntimeConfig",
  "UpdateRuntimeConfig",
  "PullImage",
  "ListImages",
  "StreamImages",
  "ImageStatus",
  "RemoveImage",
  "ImageFsInfo",
  "RunPodSandbox",
  "StopPodSandbox",
  "Exec",
  "Attach",
  "PortForward",
  "RemovePodSandbox",
  "PodSandboxStatus",
  "ListPodSandbox",
  "StreamPodSandboxes",
  "CreateContainer",
  "StartContainer",
  "StopContainer",
  "RemoveContainer",
  "ListContainers",
  "StreamContainers",
  "ContainerStatus",
  "ExecSync",
  "UpdateContainerResources",
  "ReopenContainerLog",
  "ContainerStats",
  "ListContainerStats",
  "StreamContainerStats",
  "PodSandboxStats",
  "ListPodSandboxStats",
  "StreamPodSandboxStats",
  "GetContainerEvents",
  "UpdatePodSandboxResources",
]);

let d: Daemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => {
  await d?.stop();
  if (d) fs.rmSync(d.dir, { recursive: true, force: true });
});

describe("Version", () => {
  test("names skiff, its package version and CRI v1", async () => {
    const v = await d.runtime.call("Version", { version: "v1" });
    expect(v).toMatchObject({ runtime_name: "skiff", runtime_version: pkg.version, runtime_api_version: "v1" });
  });
});

describe("Status", () => {
  test("reports the runtime ready and the network not ready with a reason", async () => {
    const s = await d.runtime.call<any>("Status", {});
    const byType = Object.fromEntries(s.status.conditions.map((c: any) => [c.type, c]));
    expect(byType.RuntimeReady.status).toBe(true);
    expect(byType.NetworkReady.status).toBe(false);
    expect(byType.NetworkReady.reason).toBe("NetworkPluginNotReady");
    expect(byType.NetworkReady.message).toContain(path.join(d.dir, "cni"));
    expect(s.info).toEqual({});
  });

  test("with verbose, carries the effective config and versions as JSON", async () => {
    const s = await d.runtime.call<any>("Status", { verbose: true });
    const config = JSON.parse(s.info.config);
    expect(config.server.socket).toBe(d.socket);
    expect(JSON.parse(s.info.versions).skiff).toBe(pkg.version);
    expect(s.runtime_handlers.map((h: any) => h.name)).toContain("runc");
  });
});

describe("RuntimeConfig", () => {
  test("reports the cgroup driver the host uses", async () => {
    const r = await d.runtime.call<any>("RuntimeConfig", {});
    const expected = fs.existsSync("/run/systemd/system") ? "SYSTEMD" : "CGROUPFS";
    expect(r.linux.cgroup_driver).toBe(expected);
  });
});

describe("UpdateRuntimeConfig", () => {
  const cases = [
    { desc: "an IPv4 pod CIDR is accepted", cidr: "10.88.0.0/16", ok: true },
    { desc: "a dual-stack pair is accepted", cidr: "10.88.0.0/16,fd00:10:88::/64", ok: true },
    { desc: "an empty CIDR is accepted and changes nothing", cidr: "", ok: true },
    { desc: "a value without a prefix length is refused", cidr: "10.88.0.0", ok: false },
    { desc: "an out-of-range octet is refused", cidr: "10.300.0.0/16", ok: false },
    { desc: "a prefix over 32 for IPv4 is refused", cidr: "10.0.0.0/33", ok: false },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      const call = d.runtime.call("UpdateRuntimeConfig", { runtime_config: { network_config: { pod_cidr: tc.cidr } } });
      if (tc.ok) {
        await call;
      } else {
        const err = await call.then(() => undefined, (e) => e);
        expect(err?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
        expect(err.details).toContain("runtime_config.network_config.pod_cidr");
      }
    });
  }

  test("the stored pod CIDR shows in verbose Status", async () => {
    await d.runtime.call("UpdateRuntimeConfig", { runtime_config: { network_config: { pod_cidr: "10.77.0.0/16" } } });
    const s = await d.runtime.call<any>("Status", { verbose: true });
    expect(JSON.parse(s.info.network).podCidr).toBe("10.77.0.0/16");
  });
});

describe("RPCs not built yet", () => {
  for (const service of ["RuntimeService", "ImageService"] as const) {
    for (const m of serviceMethods(service).filter((m) => !BUILT.has(m.name))) {
      test(`${service}/${m.name} answers Unimplemented naming the RPC`, async () => {
        const client = service === "RuntimeService" ? d.runtime : d.image;
        const err = await (m.serverStream ? client.stream(m.name) : client.call(m.name)).then(
          () => undefined,
          (e) => e,
        );
        expect(err?.code).toBe(GrpcStatus.UNIMPLEMENTED);
        expect(err.details).toContain(`runtime.v1.${service}/${m.name}`);
      });
    }
  }
});
