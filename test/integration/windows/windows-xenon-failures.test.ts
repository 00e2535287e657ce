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
import type { FakeWindowsCall } from "../../../src/platform/fake/fake-call-log.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { podConfig } from "./windows-calls.ts";
import { pushWindowsImages, startWindowsDaemon, type WindowsDaemon } from "./windows-fixture.ts";
import { XENON_HANDLERS } from "./xenon-fixture.ts";

let reg: TestRegistry;
let d: WindowsDaemon;
let app: string;

beforeAll(async () => {
  reg = await startRegistry();
  await pushWindowsImages(reg);
  app = `${reg.host}/win/app:1`;
  d = await startWindowsDaemon(reg, XENON_HANDLERS);
  await d.image.call("PullImage", { image: { image: app } });
  await d.image.call("PullImage", { image: { image: `${reg.host}/win/pause:1` } });
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

/** The calls an RPC makes, with the occurrence of each, so each can be failed in turn. Close calls cannot fail. */
async function callsOf(rpc: () => Promise<unknown>): Promise<{ call: FakeWindowsCall["call"]; nth: number }[]> {
  const before = d.calls().length;
  await rpc();
  const seen = new Map<string, number>();
  return d
    .calls()
    .slice(before)
    .filter((c) => !c.call.startsWith("HcsClose"))
    .map((c) => {
      const nth = (seen.get(c.call) ?? 0) + 1;
      seen.set(c.call, nth);
      return { call: c.call, nth };
    });
}

describe("a failure at each call of a Hyper-V isolated pod's start gives back what came before it", () => {
  test("RunPodSandbox", async () => {
    let probe = "";
    const steps = await callsOf(async () => void (probe = (await runPod("probe")).pod_sandbox_id));
    expect(steps.map((s) => s.call)).toContain("HcnQueryEndpointProperties");
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: probe });
    expect(d.leaks()).toEqual([]);
    const cniBefore = d.cniCalls().length;
    for (const step of steps) {
      d.inject([step]);
      const err = await runPod(`p-${step.call}-${step.nth}`.toLowerCase()).catch((e) => e);
      expect(err?.details, `${step.call} #${step.nth}`).toContain(step.call);
      expect(d.leaks(), `${step.call} #${step.nth}`).toEqual([]);
      expect((await d.runtime.call<{ items: unknown[] }>("ListPodSandbox", {})).items).toEqual([]);
    }
    expect(fs.readdirSync(path.join(d.root, "scratch"))).toEqual([]);
    const cni = d.cniCalls().slice(cniBefore).map((l) => l.split(" "));
    for (const [, id] of cni.filter(([cmd]) => cmd === "ADD")) expect(cni.some(([cmd, i]) => cmd === "DEL" && i === id)).toBe(true);
  });

  test("CreateContainer and StartContainer", async () => {
    d.inject([]);
    const { pod_sandbox_id: pod } = await runPod("host");
    const podLeaks = d.leaks();
    let ctr = "";
    const create = await callsOf(async () => {
      ctr = (await d.runtime.call<{ container_id: string }>("CreateContainer", { pod_sandbox_id: pod, config: container("probe") })).container_id;
    });
    const start = await callsOf(() => d.runtime.call("StartContainer", { container_id: ctr }));
    await d.runtime.call("RemoveContainer", { container_id: ctr });
    expect(d.leaks()).toEqual(podLeaks);
    expect(create.filter((s) => s.call === "HcsModifyComputeSystem")).toHaveLength(7);

    for (const step of create) {
      d.inject([step]);
      const err = await d.runtime.call("CreateContainer", { pod_sandbox_id: pod, config: container(`c-${step.call}-${step.nth}`.toLowerCase()) }).catch((e) => e);
      expect(err?.details, `${step.call} #${step.nth}`).toContain(step.call);
      expect(d.leaks(), `${step.call} #${step.nth}`).toEqual(podLeaks);
      expect((await d.runtime.call<{ containers: unknown[] }>("ListContainers", {})).containers).toEqual([]);
    }

    for (const step of start) {
      d.inject([]);
      const { container_id: id } = await d.runtime.call<{ container_id: string }>("CreateContainer", { pod_sandbox_id: pod, config: container(`s-${step.call}-${step.nth}`.toLowerCase()) });
      d.inject([step]);
      const err = await d.runtime.call("StartContainer", { container_id: id }).catch((e) => e);
      expect(err?.details, `${step.call} #${step.nth}`).toContain(step.call);
      const st = await d.runtime.call<{ status: { state: string; reason: string } }>("ContainerStatus", { container_id: id });
      expect([st.status.state, st.status.reason]).toEqual(["CONTAINER_EXITED", "StartError"]);
      await d.runtime.call("RemoveContainer", { container_id: id });
      expect(d.leaks(), `${step.call} #${step.nth}`).toEqual(podLeaks);
    }

    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    expect(d.leaks()).toEqual([]);
  });
});
