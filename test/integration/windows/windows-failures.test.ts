/**
 * Every HCS, layer and HNS call of RunPodSandbox, CreateContainer and StartContainer made
 * to fail in turn (the fake host returns E_FAIL for it), through the CRI socket: the RPC
 * fails naming the call, and everything acquired before it is given back (compute
 * systems, handles, scratch layers, namespaces, CNI attachments, store rows).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestRegistry } from "../../support/registry.ts";
import { callsOf, failEachContainerStep, failEachPodStep } from "./failure-steps.ts";
import { podConfig } from "./windows-calls.ts";
import { startWindowsSuite, type WindowsDaemon } from "./windows-fixture.ts";

let reg: TestRegistry;
let d: WindowsDaemon;
let app: string;

beforeAll(async () => {
  ({ reg, d, app } = await startWindowsSuite());
});
afterAll(async () => {
  await d?.stop();
  await reg?.stop();
});

const runPod = (name: string) => d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: podConfig(d.dir, name) }, 30_000);
const container = (name: string) => ({
  metadata: { name },
  image: { image: app },
  command: ["cmd", "/c", "timeout /t 600"],
  windows: { resources: { rootfs_size_in_bytes: 32212254720 } },
});

describe("a failure at each call of a Windows pod's start gives back what came before it", () => {
  test("RunPodSandbox", async () => {
    let probe = "";
    const steps = await callsOf(d, async () => void (probe = (await runPod("probe")).pod_sandbox_id));
    expect(steps.map((s) => s.call)).toContain("HcsCreateProcess");
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: probe });
    expect(d.leaks()).toEqual([]);
    await failEachPodStep(d, steps, runPod);
  });

  test("CreateContainer and StartContainer", async () => {
    d.inject([]);
    const { pod_sandbox_id: pod } = await runPod("host");
    const create = await failEachContainerStep(d, pod, container);
    expect(create.map((s) => s.call)).toContain("ExpandSandboxSize");
    await d.runtime.call("StopPodSandbox", { pod_sandbox_id: pod });
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    expect(d.leaks()).toEqual([]);
  });
});
