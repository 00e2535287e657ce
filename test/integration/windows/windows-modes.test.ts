/**
 * The Windows paths beside the common one, through the CRI socket in the Windows test
 * mode: HCS schema 1.0 (no namespaces, the schema 1 document), what is refused and why
 * (HostProcess, gMSA when disabled or without Container Credential Guard), and a restart
 * (HCS ends containers with skiff's handles; skiff says so).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { TestRegistry } from "../../support/registry.ts";
import { podConfig } from "./windows-calls.ts";
import { checkRestart } from "./failure-steps.ts";
import { startWindowsSuite, type WindowsDaemon } from "./windows-fixture.ts";

let reg: TestRegistry;
let d: WindowsDaemon;
let app: string;

const HANDLERS = `
[runtimes.wcow-v1]
runtime_type = "hcs"
hcs_schema_version = "1.0"
`;

beforeAll(async () => {
  ({ reg, d, app } = await startWindowsSuite(HANDLERS));
});
afterAll(async () => {
  await d?.stop();
  await reg?.stop();
});

const ctr = (name: string, windows: object = {}, annotations: Record<string, string> = {}) => ({
  metadata: { name },
  image: { image: app },
  command: ["cmd", "/c", "timeout /t 600"],
  windows,
  annotations,
});

describe("HCS schema 1.0 (a handler forcing it, as on Windows Server 2016 to 1803)", () => {
  test("a pod gets no HNS namespace and its containers the schema 1 document, credential spec included", async () => {
    const before = d.calls().length;
    const { pod_sandbox_id: pod } = await d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: podConfig(d.dir, "v1"), runtime_handler: "wcow-v1" }, 30_000);
    const { container_id: id } = await d.runtime.call<{ container_id: string }>("CreateContainer", {
      pod_sandbox_id: pod,
      config: ctr("site", { security_context: { credential_spec: '{"CmsPlugins":["ActiveDirectory"]}' } }),
    });
    const calls = d.calls().slice(before);
    expect(calls.filter((c) => c.call === "HNSCall")).toEqual([]);
    const docs = calls.filter((c) => c.call === "HcsCreateComputeSystem").map((c) => JSON.parse(c.args[1] as string));
    expect(docs.map((x) => [x.SystemType, x.Name, x.HvPartition, x.SchemaVersion])).toEqual([
      ["Container", pod, false, undefined],
      ["Container", id, false, undefined],
    ]);
    expect(docs[1].VolumePath).toMatch(/^\\\\\?\\Volume\{[0-9a-f-]{36}\}$/);
    expect(docs[1].Credentials).toBe('{"CmsPlugins":["ActiveDirectory"]}');
    expect(docs[1].Layers).toHaveLength(2);
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    expect(d.leaks()).toEqual([]);
  });
});

describe("what is refused, with the reason", () => {
  let pod = "";
  beforeAll(async () => {
    pod = (await d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: podConfig(d.dir, "refusals") }, 30_000)).pod_sandbox_id;
  });
  afterAll(async () => {
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
  });

  const cases = [
    {
      desc: "a HostProcess container in a pod that is not HostProcess is InvalidArgument naming the field",
      config: () => ctr("hpc", { security_context: { host_process: true } }),
      code: GrpcStatus.INVALID_ARGUMENT,
      message: "config.windows.security_context.host_process",
    },
    {
      desc: "a credential spec when gMSA is disabled by annotation is FailedPrecondition",
      config: () => ctr("gmsa-off", { security_context: { credential_spec: "{}" } }, { "io.microsoft.container.wcow.gmsa.disable": "true" }),
      code: GrpcStatus.FAILED_PRECONDITION,
      message: "gMSA credentials are disabled",
    },
    {
      desc: "a credential spec with schema 2.1 is Unimplemented: it needs a Container Credential Guard instance",
      config: () => ctr("gmsa", { security_context: { credential_spec: "{}" } }),
      code: GrpcStatus.UNIMPLEMENTED,
      message: "Container Credential Guard",
    },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      const leaks = d.leaks();
      const err = await d.runtime.call("CreateContainer", { pod_sandbox_id: pod, config: tc.config() }).catch((e) => e);
      expect([err?.code, err?.details]).toEqual([tc.code, expect.stringContaining(tc.message)]);
      expect(d.leaks()).toEqual(leaks);
    });
  }

  test("a HostProcess pod is Unimplemented: HostProcess containers are job objects, not compute systems", async () => {
    const config = { ...podConfig(d.dir, "hpc-pod"), windows: { security_context: { host_process: true } } };
    const err = await d.runtime.call("RunPodSandbox", { config }).catch((e) => e);
    expect([err?.code, err?.details]).toEqual([GrpcStatus.UNIMPLEMENTED, expect.stringContaining("HostProcess")]);
  });
});

describe("a restart", () => {
  test("finds the compute systems gone with skiff's handles: containers exited, pods not ready, both removable", async () => {
    d = await checkRestart(d, { config: podConfig(d.dir, "survivor") }, ctr("long"));
  });
});
