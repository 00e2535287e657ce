/**
 * Every call of a Hyper-V isolated pod's RunPodSandbox, CreateContainer and StartContainer
 * made to fail in turn (the fake host returns E_FAIL for it), through the CRI socket: the
 * RPC fails naming the call, and everything acquired before it is given back: the VM and
 * its handle, its scratch folder, the container's scratch, what was hot-added to the VM
 * (disks, guest mounts, combined layers, pipes, NICs, namespaces, shares), the HNS
 * namespace, the CNI attachment, the store rows.
 *
 * The pod asks for shares that are not direct-mapped, so a share's release is a real
 * removal each time and every attempt makes the same calls (direct-mapped shares stay
 * in the VM by design: test/unit/runtime/windows/utility-vm.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TestRegistry } from "../../support/registry.ts";
import { callsOf, failEachContainerStep, failEachPodStep } from "./failure-steps.ts";
import { podConfig } from "./windows-calls.ts";
import { startWindowsSuite, type WindowsDaemon } from "./windows-fixture.ts";
import { XENON_HANDLERS } from "./xenon-fixture.ts";

let reg: TestRegistry;
let d: WindowsDaemon;
let app: string;

beforeAll(async () => {
  ({ reg, d, app } = await startWindowsSuite(XENON_HANDLERS));
});
afterAll(async () => {
  await d?.stop();
  await reg?.stop();
});

const NO_DIRECT_MAP = { "io.microsoft.virtualmachine.wcow.virtualSMB.nodirectmap": "true" };
const runPod = (name: string) =>
  d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: { ...podConfig(d.dir, name), annotations: NO_DIRECT_MAP }, runtime_handler: "wcow-hyperv" }, 30_000);
const container = (name: string) => ({
  metadata: { name },
  image: { image: app },
  command: ["cmd", "/c", "timeout /t 600"],
  mounts: [
    { container_path: "C:\\data", host_path: path.join(d.dir, "xdata") },
    { container_path: "\\\\.\\pipe\\p", host_path: "\\\\.\\pipe\\p" },
  ],
  windows: { resources: { rootfs_size_in_bytes: 32212254720 } },
});

describe("a failure at each call of a Hyper-V isolated pod's start gives back what came before it", () => {
  test("RunPodSandbox", async () => {
    let probe = "";
    const steps = await callsOf(d, async () => void (probe = (await runPod("probe")).pod_sandbox_id));
    expect(steps.map((s) => s.call)).toContain("HcnQueryEndpointProperties");
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: probe });
    expect(d.leaks()).toEqual([]);
    await failEachPodStep(d, steps, runPod);
    expect(fs.readdirSync(path.join(d.root, "scratch"))).toEqual([]);
  });

  test("CreateContainer and StartContainer", async () => {
    d.inject([]);
    const { pod_sandbox_id: pod } = await runPod("host");
    const create = await failEachContainerStep(d, pod, container);
    // Two layer shares, the disk, its mount, the combined layers, the directory's share, the pipe.
    expect(create.filter((s) => s.call === "HcsModifyComputeSystem")).toHaveLength(7);
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    expect(d.leaks()).toEqual([]);
  });
});
