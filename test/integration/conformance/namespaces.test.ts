/**
 * Namespace modes (CreateContainer's NamespaceOption): a container's network, UTS and
 * IPC namespaces are its pod's, whatever its own config says; its PID namespace is its
 * own (CONTAINER), the pod's (POD), the host's (NODE) or another running container's of
 * the same pod (TARGET). Seen from inside, by the namespace inodes in /proc/self/ns.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { type Case, expect, okOrFailed, refusal, runCases } from "./cases.ts";
import { type Pod, createContainer, ctrConfig, ctrLinux, execOut, podLinux, runContainer, runPod } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes();
const busybox = () => rts.images.busybox;

type Kind = "net" | "uts" | "ipc" | "pid";
const KINDS: Kind[] = ["net", "uts", "ipc", "pid"];

/** The namespaces of a running container, as `net:[4026531992]` strings. */
async function nsOf(rt: Runtime, id: string): Promise<Record<Kind, string>> {
  const out = await execOut(rt, id, ["ls", "-l", "/proc/self/ns/"]);
  const get = (k: Kind) => new RegExp(` ${k} -> (${k}:\\[\\d+\\])$`, "m").exec(out)?.[1] ?? `no ${k} in ${out}`;
  return Object.fromEntries(KINDS.map((k) => [k, get(k)])) as Record<Kind, string>;
}

/** Which of the container's namespaces are the host's (this test process runs in the host's). */
async function hostKinds(rt: Runtime, id: string): Promise<Kind[]> {
  const ns = await nsOf(rt, id);
  return KINDS.filter((k) => ns[k] === fs.readlinkSync(`/proc/self/ns/${k}`));
}

/** Which namespaces two containers share. */
async function sharedKinds(rt: Runtime, a: string, b: string): Promise<Kind[]> {
  const [x, y] = await Promise.all([nsOf(rt, a), nsOf(rt, b)]);
  return KINDS.filter((k) => x[k] === y[k]);
}

const sleep = (name: string, over: Record<string, unknown> = {}) => ctrConfig(name, busybox(), "sleep 100000", over);
/** A container config with no `linux` section at all, as a hand-written client might send. */
const bare = (name: string) => {
  const { linux: _none, ...rest } = sleep(name);
  return rest;
};
/** Pod options for these namespace modes; a host-network pod has no hostname of its own (the kubelet sends none). */
const podNs = (ns: Record<string, string>) => ({ ...podLinux({ namespace_options: ns }), ...(ns.network === "NODE" ? { hostname: "" } : {}) });
const ctrNs = (ns: Record<string, unknown>) => ctrLinux({ namespace_options: ns });

/** Runs a pod and containers in it; returns the pod and the container ids by name. */
async function podWith(rt: Runtime, name: string, podOver: Record<string, unknown>, ctrs: Record<string, Record<string, unknown>>) {
  const pod = await runPod(rt, name, podOver);
  const ids: Record<string, string> = {};
  for (const [n, c] of Object.entries(ctrs)) ids[n] = await runContainer(rt, pod, c);
  return { pod, ids };
}

/** A pod whose first container `a` is running, for TARGET cases. */
async function targetPod(rt: Runtime, name: string): Promise<{ pod: Pod; a: string }> {
  const { pod, ids } = await podWith(rt, name, {}, { a: sleep("a", { command: ["sleep", "4242"] }) });
  return { pod, a: ids.a! };
}

const cases: Case<any>[] = [
  {
    // The pod shares its PID namespace: a config without namespace options asks for POD.
    desc: "a container with no namespace options in a host-network pod runs in the host's network and UTS namespaces and has the node's hostname",
    run: async (rt) => {
      const { ids } = await podWith(rt, "hostnet-bare", podNs({ network: "NODE", pid: "POD" }), { c: bare("c") });
      return { host: await hostKinds(rt, ids.c!), hostname: (await execOut(rt, ids.c!, ["hostname"])).trim() === os.hostname() };
    },
    check: (seen) => expect(seen).toEqual({ host: ["net", "uts"], hostname: true }),
  },
  {
    desc: "a container that asks for the pod's network in a host-network pod still gets the host's",
    run: async (rt) => {
      const { ids } = await podWith(rt, "hostnet-pod", podNs({ network: "NODE" }), { c: sleep("c", ctrNs({ network: "POD", pid: "CONTAINER" })) });
      return hostKinds(rt, ids.c!);
    },
    check: (seen) => expect(seen).toEqual(["net", "uts"]),
  },
  {
    desc: "a container that asks for the host's network in an ordinary pod gets the pod's",
    run: async (rt) => {
      const { ids } = await podWith(rt, "podnet-node", {}, { a: sleep("a"), b: sleep("b", ctrNs({ network: "NODE", pid: "CONTAINER" })) });
      return { host: await hostKinds(rt, ids.b!), shared: await sharedKinds(rt, ids.a!, ids.b!) };
    },
    check: (seen) => expect(seen).toEqual({ host: [], shared: ["net", "uts", "ipc"] }),
  },
  {
    desc: "a container with no namespace options in a host-IPC pod uses the host's IPC namespace",
    run: async (rt) => {
      const { ids } = await podWith(rt, "hostipc-bare", podNs({ ipc: "NODE" }), { c: sleep("c", ctrNs({ pid: "CONTAINER" })) });
      return hostKinds(rt, ids.c!);
    },
    check: (seen) => expect(seen).toEqual(["ipc"]),
  },
  {
    desc: "a container that asks for the host's IPC namespace in an ordinary pod gets the pod's",
    run: async (rt) => {
      const { ids } = await podWith(rt, "podipc-node", {}, { a: sleep("a"), b: sleep("b", ctrNs({ ipc: "NODE", pid: "CONTAINER" })) });
      return { host: await hostKinds(rt, ids.b!), shared: await sharedKinds(rt, ids.a!, ids.b!) };
    },
    check: (seen) => expect(seen).toEqual({ host: [], shared: ["net", "uts", "ipc"] }),
  },
  {
    desc: "containers of one pod share its network, UTS and IPC namespaces, and with PID mode CONTAINER each has its own PID namespace whose pid 1 is its command",
    run: async (rt) => {
      const { ids } = await podWith(rt, "ordinary", {}, { a: sleep("a"), b: sleep("b") });
      const init = (await execOut(rt, ids.a!, ["cat", "/proc/1/cmdline"])).split("\0").filter(Boolean);
      return { shared: await sharedKinds(rt, ids.a!, ids.b!), host: await hostKinds(rt, ids.a!), init };
    },
    check: (seen) => expect(seen).toEqual({ shared: ["net", "uts", "ipc"], host: [], init: ["sleep", "100000"] }),
  },
  {
    desc: "with PID mode POD the containers of a pod share one PID namespace and see each other's processes",
    run: async (rt) => {
      const shared = { pid: "POD" };
      const { ids } = await podWith(rt, "sharedpid", podNs(shared), {
        a: sleep("a", { command: ["sleep", "4343"], ...ctrNs(shared) }),
        b: sleep("b", ctrNs(shared)),
      });
      const ps = await execOut(rt, ids.b!, ["ps", "-o", "args"]);
      return { shared: await sharedKinds(rt, ids.a!, ids.b!), seesA: ps.includes("sleep 4343"), host: await hostKinds(rt, ids.a!) };
    },
    check: (seen) => expect(seen).toEqual({ shared: ["net", "uts", "ipc", "pid"], seesA: true, host: [] }),
  },
  {
    desc: "a container with PID mode POD in a host-PID pod is in the host's PID namespace",
    run: async (rt) => {
      const { ids } = await podWith(rt, "hostpid-pod", podNs({ pid: "NODE" }), { c: sleep("c", ctrNs({ pid: "POD" })) });
      return hostKinds(rt, ids.c!);
    },
    check: (seen) => expect(seen).toEqual(["pid"]),
  },
  {
    desc: "a container with PID mode POD in a pod of PID mode CONTAINER is refused, naming the field",
    skiffOnly:
      "containerd joins its pause process's private PID namespace; skiff's pods of PID mode CONTAINER have no process to hold one (the kubelet never asks this: it gives containers the pod's mode)",
    run: async (rt) => {
      const pod = await runPod(rt, "no-shared-pid");
      return refusal(createContainer(rt, pod, sleep("c", ctrNs({ pid: "POD" }))), "namespace_options.pid");
    },
    check: (seen) => expect(seen).toBe("INVALID_ARGUMENT namespace_options.pid"),
  },
  {
    desc: "with PID mode NODE in a host-PID pod the container is in the host's PID namespace",
    run: async (rt) => {
      const { ids } = await podWith(rt, "hostpid", podNs({ pid: "NODE" }), { c: sleep("c", ctrNs({ pid: "NODE" })) });
      return hostKinds(rt, ids.c!);
    },
    check: (seen) => expect(seen).toEqual(["pid"]),
  },
  {
    desc: "with PID mode TARGET a container joins the PID namespace of the running container it names",
    run: async (rt) => {
      const { pod, a } = await targetPod(rt, "target");
      const b = await runContainer(rt, pod, sleep("b", ctrNs({ pid: "TARGET", target_id: a })));
      const ps = await execOut(rt, b, ["ps", "-o", "args"]);
      return { shared: await sharedKinds(rt, a, b), seesA: ps.includes("sleep 4242") };
    },
    check: (seen) => expect(seen).toEqual({ shared: ["net", "uts", "ipc", "pid"], seesA: true }),
  },
  {
    desc: "PID mode TARGET naming a container that does not exist is refused",
    run: async (rt) => {
      const pod = await runPod(rt, "target-unknown");
      return okOrFailed(createContainer(rt, pod, sleep("b", ctrNs({ pid: "TARGET", target_id: "0123456789abcdef" }))));
    },
    check: (seen) => expect(seen).toBe("failed"),
  },
  {
    desc: "PID mode TARGET naming a container of another pod is refused",
    run: async (rt) => {
      const { a } = await targetPod(rt, "target-owner");
      const other = await runPod(rt, "target-other");
      return okOrFailed(createContainer(rt, other, sleep("b", ctrNs({ pid: "TARGET", target_id: a }))));
    },
    check: (seen) => expect(seen).toBe("failed"),
  },
  {
    desc: "PID mode TARGET naming a container that is created but not running is refused",
    run: async (rt) => {
      const pod = await runPod(rt, "target-created");
      const a = await createContainer(rt, pod, sleep("a"));
      return okOrFailed(createContainer(rt, pod, sleep("b", ctrNs({ pid: "TARGET", target_id: a }))));
    },
    check: (seen) => expect(seen).toBe("failed"),
  },
  {
    desc: "the refusals of bad TARGETs carry the codes the CRI calls for: NotFound, InvalidArgument, FailedPrecondition",
    skiffOnly: "containerd 1.6 answers NotFound for the unknown id and Unknown for the other three",
    run: async (rt) => {
      const { pod, a } = await targetPod(rt, "target-codes");
      const created = await createContainer(rt, pod, sleep("created"));
      const other = await runPod(rt, "target-codes-other");
      const target = (p: Pod, id: string, what: string) =>
        refusal(createContainer(rt, p, sleep(`b-${id || "empty"}`.slice(0, 20), ctrNs({ pid: "TARGET", target_id: id }))), what);
      return {
        unknown: await target(pod, "0123456789abcdef", "0123456789abcdef"),
        empty: await target(pod, "", "target_id"),
        otherPod: await target(other, a, "target_id"),
        notRunning: (await target(pod, created, created)).replace(created, "<id>"),
      };
    },
    check: (seen) =>
      expect(seen).toEqual({ unknown: "NOT_FOUND 0123456789abcdef", empty: "INVALID_ARGUMENT target_id", otherPod: "INVALID_ARGUMENT target_id", notRunning: "FAILED_PRECONDITION <id>" }),
  },
];

runCases("namespace modes", rts, cases);
