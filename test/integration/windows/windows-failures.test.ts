/**
 * Every HCS, layer and HNS call of RunPodSandbox, CreateContainer and StartContainer made
 * to fail in turn (the fake host returns E_FAIL for it), through the CRI socket: the RPC
 * fails naming the call, and everything acquired before it is given back (compute
 * systems, handles, scratch layers, namespaces, CNI attachments, store rows).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { FakeWindowsCall } from "../../../src/platform/fake/fake-call-log.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { podConfig } from "./windows-calls.ts";
import { pushWindowsImages, startWindowsDaemon, type WindowsDaemon } from "./windows-fixture.ts";

let reg: TestRegistry;
let d: WindowsDaemon;
let app: string;

beforeAll(async () => {
  reg = await startRegistry();
  await pushWindowsImages(reg);
  app = `${reg.host}/win/app:1`;
  d = await startWindowsDaemon(reg);
  await d.image.call("PullImage", { image: { image: app } });
  await d.image.call("PullImage", { image: { image: `${reg.host}/win/pause:1` } });
});
afterAll(async () => {
  await d?.stop();
  await reg?.stop();
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

const container = (name: string) => ({
  metadata: { name },
  image: { image: app },
  command: ["cmd", "/c", "timeout /t 600"],
  windows: { resources: { rootfs_size_in_bytes: 32212254720 } },
});

describe("a failure at each call of a Windows pod's start gives back what came before it", () => {
  test("RunPodSandbox", async () => {
    const steps = await callsOf(() => d.runtime.call("RunPodSandbox", { config: podConfig(d.dir, "probe") }, 30_000));
    expect(steps.map((s) => s.call)).toContain("HcsCreateProcess");
    const pods = await d.runtime.call<{ items: { id: string }[] }>("ListPodSandbox", {});
    for (const p of pods.items) await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: p.id });
    expect(d.leaks()).toEqual([]);
    const cniBefore = d.cniCalls().length;
    for (const step of steps) {
      d.inject([step]);
      const err = await d.runtime.call("RunPodSandbox", { config: podConfig(d.dir, `p-${step.call}-${step.nth}`.toLowerCase()) }, 30_000).catch((e) => e);
      expect(err?.details, `${step.call} #${step.nth}`).toContain(step.call);
      expect(d.leaks(), `${step.call} #${step.nth}`).toEqual([]);
      expect((await d.runtime.call<{ items: unknown[] }>("ListPodSandbox", {})).items).toEqual([]);
    }
    // Every pod that had a CNI ADD had a DEL after it (a DEL without an ADD is allowed by the CNI spec).
    const cni = d.cniCalls().slice(cniBefore).map((l) => l.split(" "));
    const added = cni.filter(([cmd]) => cmd === "ADD").map(([, id]) => id);
    expect(added.length).toBeGreaterThan(0);
    for (const id of added) expect(cni.findIndex(([cmd, i]) => cmd === "DEL" && i === id)).toBeGreaterThan(cni.findIndex(([cmd, i]) => cmd === "ADD" && i === id));
  });

  test("CreateContainer and StartContainer", async () => {
    d.inject([]);
    const { pod_sandbox_id: pod } = await d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: podConfig(d.dir, "host") }, 30_000);
    const podLeaks = d.leaks();
    let ctr = "";
    const create = await callsOf(async () => {
      ctr = (await d.runtime.call<{ container_id: string }>("CreateContainer", { pod_sandbox_id: pod, config: container("probe") })).container_id;
    });
    const start = await callsOf(() => d.runtime.call("StartContainer", { container_id: ctr }));
    await d.runtime.call("RemoveContainer", { container_id: ctr });
    expect(d.leaks()).toEqual(podLeaks);
    expect(create.map((s) => s.call)).toContain("ExpandSandboxSize");

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

    await d.runtime.call("StopPodSandbox", { pod_sandbox_id: pod });
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
    expect(d.leaks()).toEqual([]);
  });
});
