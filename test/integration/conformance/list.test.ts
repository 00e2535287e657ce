/**
 * ListPodSandbox and ListContainers with every filter: id (whole or a unique prefix),
 * state, label selector (all labels must match), pod id, and their combinations, over a
 * fixed set of pods and containers in every state. Results are compared by name, since
 * ids differ between the runtimes.
 */
import { type Case, expect, runCases } from "./cases.ts";
import { createContainer, ctrConfig, exitedStatus, runContainer, runPod } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes();

type World = { pods: Record<string, string>; ctrs: Record<string, string>; names: Map<string, string> };
const worlds = new Map<string, Promise<World>>();

/**
 * Pods `web` (app=web, tier=front) and `api` (app=api, tier=front) ready, `old`
 * (app=old) stopped; containers `web-run` (running), `web-done` (exited) and
 * `web-new` (created) in web, `api-run` (running) in api.
 */
function world(rt: Runtime): Promise<World> {
  if (!worlds.has(rt.name)) worlds.set(rt.name, build(rt));
  return worlds.get(rt.name)!;
}

async function build(rt: Runtime): Promise<World> {
  const busybox = rts.images.busybox;
  const web = await runPod(rt, "web", { labels: { app: "web", tier: "front" } });
  const api = await runPod(rt, "api", { labels: { app: "api", tier: "front" } });
  const old = await runPod(rt, "old", { labels: { app: "old" } });
  await rt.runtime.call("StopPodSandbox", { pod_sandbox_id: old.id }, 60_000);
  const ctr = (name: string, script: string, labels: Record<string, string>) => ctrConfig(name, busybox, script, { labels });
  const ctrs: Record<string, string> = {
    "web-run": await runContainer(rt, web, ctr("web-run", "sleep 100000", { role: "server", tier: "front" })),
    "web-done": await runContainer(rt, web, ctr("web-done", "exit 0", { role: "job" })),
    "web-new": await createContainer(rt, web, ctr("web-new", "sleep 100000", { role: "server" })),
    "api-run": await runContainer(rt, api, ctr("api-run", "sleep 100000", { role: "server", tier: "front" })),
  };
  await exitedStatus(rt, ctrs["web-done"]!);
  const pods = { web: web.id, api: api.id, old: old.id };
  const names = new Map<string, string>([...Object.entries(pods), ...Object.entries(ctrs)].map(([n, id]) => [id, n]));
  return { pods, ctrs, names };
}

/** ListPodSandbox with the filter `f(world)`; the names of the pods, sorted. */
function pods(f: (w: World) => object | undefined) {
  return async (rt: Runtime) => {
    const w = await world(rt);
    const r = await rt.runtime.call<any>("ListPodSandbox", { filter: f(w) });
    return r.items.map((p: any) => w.names.get(p.id) ?? p.id).sort();
  };
}

/** ListContainers with the filter `f(world)`; the names of the containers, sorted. */
function ctrs(f: (w: World) => object | undefined) {
  return async (rt: Runtime) => {
    const w = await world(rt);
    const r = await rt.runtime.call<any>("ListContainers", { filter: f(w) });
    return r.containers.map((c: any) => w.names.get(c.id) ?? c.id).sort();
  };
}

const want = (names: string[]) => (seen: string[]) => expect(seen).toEqual(names);

const cases: Case<any>[] = [
  { desc: "ListPodSandbox without a filter lists every pod, ready or not", run: pods(() => undefined), check: want(["api", "old", "web"]) },
  { desc: "ListPodSandbox by id lists that pod", run: pods((w) => ({ id: w.pods.web })), check: want(["web"]) },
  { desc: "ListPodSandbox by a unique id prefix lists that pod", run: pods((w) => ({ id: w.pods.web!.slice(0, 12) })), check: want(["web"]) },
  { desc: "ListPodSandbox by an unknown id lists nothing", run: pods(() => ({ id: "0123456789abcdef" })), check: want([]) },
  { desc: "ListPodSandbox by state READY lists the ready pods", run: pods(() => ({ state: { state: "SANDBOX_READY" } })), check: want(["api", "web"]) },
  { desc: "ListPodSandbox by state NOTREADY lists the stopped pod", run: pods(() => ({ state: { state: "SANDBOX_NOTREADY" } })), check: want(["old"]) },
  { desc: "ListPodSandbox by one label lists the pods with it", run: pods(() => ({ label_selector: { tier: "front" } })), check: want(["api", "web"]) },
  { desc: "ListPodSandbox by two labels lists the pods with both", run: pods(() => ({ label_selector: { tier: "front", app: "api" } })), check: want(["api"]) },
  { desc: "ListPodSandbox by a label value no pod has lists nothing", run: pods(() => ({ label_selector: { app: "nope" } })), check: want([]) },
  {
    desc: "ListPodSandbox by id, state and label at once lists the pods matching all three",
    run: pods((w) => ({ id: w.pods.web, state: { state: "SANDBOX_READY" }, label_selector: { app: "web" } })),
    check: want(["web"]),
  },
  {
    desc: "ListPodSandbox by id and a state it is not in lists nothing",
    run: pods((w) => ({ id: w.pods.old, state: { state: "SANDBOX_READY" } })),
    check: want([]),
  },
  { desc: "ListContainers without a filter lists every container in every state", run: ctrs(() => undefined), check: want(["api-run", "web-done", "web-new", "web-run"]) },
  { desc: "ListContainers by id lists that container", run: ctrs((w) => ({ id: w.ctrs["web-done"] })), check: want(["web-done"]) },
  { desc: "ListContainers by a unique id prefix lists that container", run: ctrs((w) => ({ id: w.ctrs["web-done"]!.slice(0, 12) })), check: want(["web-done"]) },
  { desc: "ListContainers by an unknown id lists nothing", run: ctrs(() => ({ id: "0123456789abcdef" })), check: want([]) },
  { desc: "ListContainers by state RUNNING lists the running ones", run: ctrs(() => ({ state: { state: "CONTAINER_RUNNING" } })), check: want(["api-run", "web-run"]) },
  { desc: "ListContainers by state EXITED lists the exited one", run: ctrs(() => ({ state: { state: "CONTAINER_EXITED" } })), check: want(["web-done"]) },
  { desc: "ListContainers by state CREATED lists the created one", run: ctrs(() => ({ state: { state: "CONTAINER_CREATED" } })), check: want(["web-new"]) },
  { desc: "ListContainers by pod id lists that pod's containers", run: ctrs((w) => ({ pod_sandbox_id: w.pods.web })), check: want(["web-done", "web-new", "web-run"]) },
  { desc: "ListContainers by a pod id prefix lists that pod's containers", run: ctrs((w) => ({ pod_sandbox_id: w.pods.api!.slice(0, 12) })), check: want(["api-run"]) },
  { desc: "ListContainers by one label lists the containers with it", run: ctrs(() => ({ label_selector: { role: "server" } })), check: want(["api-run", "web-new", "web-run"]) },
  { desc: "ListContainers by two labels lists the containers with both", run: ctrs(() => ({ label_selector: { role: "server", tier: "front" } })), check: want(["api-run", "web-run"]) },
  {
    desc: "ListContainers by pod, state and label at once lists the containers matching all three",
    run: ctrs((w) => ({ pod_sandbox_id: w.pods.web, state: { state: "CONTAINER_RUNNING" }, label_selector: { role: "server" } })),
    check: want(["web-run"]),
  },
  {
    desc: "ListContainers by a pod id no pod has lists nothing",
    run: ctrs(() => ({ pod_sandbox_id: "0123456789abcdef" })),
    check: want([]),
  },
  {
    desc: "a ListContainers item carries the container's id, pod, metadata, image, state, labels and annotations",
    run: async (rt) => {
      const w = await world(rt);
      const r = await rt.runtime.call<any>("ListContainers", { filter: { id: w.ctrs["web-run"] } });
      const c = r.containers[0];
      return {
        pod: w.names.get(c.pod_sandbox_id),
        metadata: c.metadata,
        image: c.image.image,
        state: c.state,
        labels: c.labels,
        annotations: c.annotations,
        created: BigInt(c.created_at) > 0n,
      };
    },
    check: (seen) =>
      expect(seen).toEqual({
        pod: "web",
        metadata: { name: "web-run", attempt: 0 },
        image: rts.images.busybox,
        state: "CONTAINER_RUNNING",
        labels: { role: "server", tier: "front" },
        annotations: { "example.com/ctr": "web-run" },
        created: true,
      }),
  },
  {
    desc: "a ListPodSandbox item carries the pod's id, metadata, state, labels, annotations and handler",
    run: async (rt) => {
      const w = await world(rt);
      const p = (await rt.runtime.call<any>("ListPodSandbox", { filter: { id: w.pods.api } })).items[0];
      return { metadata: p.metadata, state: p.state, labels: p.labels, annotations: p.annotations, handler: p.runtime_handler, created: BigInt(p.created_at) > 0n };
    },
    check: (seen) =>
      expect(seen).toEqual({
        metadata: { name: "api", namespace: "conformance", uid: "uid-api", attempt: 0 },
        state: "SANDBOX_READY",
        labels: { app: "api", tier: "front" },
        annotations: { "example.com/pod": "api" },
        handler: "",
        created: true,
      }),
  },
  {
    desc: "StreamPodSandboxes and StreamContainers send what the List calls answer, filters included",
    skiffOnly: "containerd 1.6 predates the streaming list RPCs (KEP-5825, alpha in Kubernetes 1.36)",
    run: async (rt) => {
      const w = await world(rt);
      const podItems = (await rt.runtime.stream<any>("StreamPodSandboxes", { filter: { label_selector: { tier: "front" } } })).flatMap((m) => m.pod_sandboxes);
      const ctrItems = (await rt.runtime.stream<any>("StreamContainers", { filter: { pod_sandbox_id: w.pods.web } })).flatMap((m) => m.containers);
      return { pods: podItems.map((p: any) => w.names.get(p.id)).sort(), ctrs: ctrItems.map((c: any) => w.names.get(c.id)).sort() };
    },
    check: (seen) => expect(seen).toEqual({ pods: ["api", "web"], ctrs: ["web-done", "web-new", "web-run"] }),
  },
];

runCases("list filters", rts, cases);
