/**
 * Failing each call of an RPC in turn through the Windows test mode: the calls an RPC makes
 * (each with its occurrence, so the n-th of a kind can be failed), and the checks that a
 * failed RunPodSandbox, CreateContainer or StartContainer gives back everything it took,
 * and that a restart finds everything gone with skiff's handles.
 */
import { expect } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import type { FakeWindowsCall } from "../../../src/platform/fake/fake-call-log.ts";
import { restartWindowsDaemon, type WindowsDaemon } from "./windows-fixture.ts";

export type Step = { call: FakeWindowsCall["call"]; nth: number };

/** The calls `rpc` makes, each with its occurrence. Close calls cannot fail, so they are left out. */
export async function callsOf(d: WindowsDaemon, rpc: () => Promise<unknown>): Promise<Step[]> {
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

/**
 * Learns the calls of CreateContainer and StartContainer in `pod` from a container made with
 * `container(name)`, then fails each in turn: the RPC fails naming the call, and the fake
 * holds what it held with the pod alone (a container whose start failed is exited with
 * StartError and removable). Returns the steps of the create, for the caller to look at.
 */
export async function failEachContainerStep(d: WindowsDaemon, pod: string, container: (name: string) => object): Promise<Step[]> {
  const podLeaks = d.leaks();
  let ctr = "";
  const create = await callsOf(d, async () => {
    ctr = (await d.runtime.call<{ container_id: string }>("CreateContainer", { pod_sandbox_id: pod, config: container("probe") })).container_id;
  });
  const start = await callsOf(d, () => d.runtime.call("StartContainer", { container_id: ctr }));
  await d.runtime.call("RemoveContainer", { container_id: ctr });
  expect(d.leaks()).toEqual(podLeaks);

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
  return create;
}

/**
 * Fails each of `steps` of RunPodSandbox in turn (`run(name)` makes a pod): the RPC fails
 * naming the call, nothing is held and no pod is listed afterwards, and every pod that had
 * a CNI ADD had a DEL after it (a DEL without an ADD is allowed by the CNI spec).
 */
export async function failEachPodStep(d: WindowsDaemon, steps: Step[], run: (name: string) => Promise<unknown>): Promise<void> {
  const cniBefore = d.cniCalls().length;
  for (const step of steps) {
    d.inject([step]);
    const err = (await run(`p-${step.call}-${step.nth}`.toLowerCase()).catch((e) => e)) as { details?: string } | undefined;
    expect(err?.details, `${step.call} #${step.nth}`).toContain(step.call);
    expect(d.leaks(), `${step.call} #${step.nth}`).toEqual([]);
    expect((await d.runtime.call<{ items: unknown[] }>("ListPodSandbox", {})).items).toEqual([]);
  }
  const cni = d.cniCalls().slice(cniBefore).map((l) => l.split(" "));
  const added = cni.filter(([cmd]) => cmd === "ADD").map(([, id]) => id);
  expect(added.length).toBeGreaterThan(0);
  for (const id of added) expect(cni.findIndex(([cmd, i]) => cmd === "DEL" && i === id)).toBeGreaterThan(cni.findIndex(([cmd, i]) => cmd === "ADD" && i === id));
}

/**
 * A pod (from `podRequest`) with a running container, then skiff killed and started again:
 * HCS ended the systems with skiff's last handles, so the container is exited saying why,
 * the pod not ready, and removing the pod leaves nothing held and no scratch. Returns the
 * restarted daemon.
 */
export async function checkRestart(d: WindowsDaemon, podRequest: object, container: object): Promise<WindowsDaemon> {
  const { pod_sandbox_id: pod } = await d.runtime.call<{ pod_sandbox_id: string }>("RunPodSandbox", podRequest, 30_000);
  const { container_id: id } = await d.runtime.call<{ container_id: string }>("CreateContainer", { pod_sandbox_id: pod, config: container });
  await d.runtime.call("StartContainer", { container_id: id });
  const again = await restartWindowsDaemon(d);
  const st = await again.runtime.call<{ status: { state: string; message: string } }>("ContainerStatus", { container_id: id });
  expect([st.status.state, st.status.message]).toEqual(["CONTAINER_EXITED", expect.stringContaining("skiff restarted")]);
  const ps = await again.runtime.call<{ status: { state: string } }>("PodSandboxStatus", { pod_sandbox_id: pod });
  expect(ps.status.state).toBe("SANDBOX_NOTREADY");
  await again.runtime.call("RemovePodSandbox", { pod_sandbox_id: pod });
  expect(fs.existsSync(path.join(again.root, "scratch", pod))).toBe(false);
  expect((await again.runtime.call<{ items: unknown[] }>("ListPodSandbox", {})).items).toEqual([]);
  expect(again.leaks()).toEqual([]);
  return again;
}
