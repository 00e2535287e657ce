/**
 * critest's security context specs about namespaces (pkg/validate/security_context_linux.go:
 * its NamespaceOption and UserNamespaces contexts), each as critest runs it, against the
 * compiled skiff over its socket. nginx is busybox httpd here (critest-images.ts), and
 * `ipcs -m` reads /proc/sysvipc/shm, as Debian's busybox has no ipcs. README.md maps every
 * spec to its test.
 */
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { isRoot } from "../harness.ts";
import { type CritestEnv, PAUSE, type Pod, codeName, logShows, parseLogLines, useCritestEnv, uuid } from "./critest-env.ts";

let env: CritestEnv;
const call = (method: string, req: object = {}) => env.call(method, req);

useCritestEnv(["web"], (e) => {
  env = e;
});

type Json = Record<string, any>;

/** critest's createNamespacePodSandbox: namespace options, an empty DNS config, a log directory when given. */
function namespacePod(ns: Json, logDirectory = "") {
  return env.runPod("NamespaceOption-PodSandbox-", { dns_config: {}, log_directory: logDirectory, linux: { cgroup_parent: "", security_context: { namespace_options: ns } } });
}

/** critest's createNamespaceContainer, running, with the web server image when `image` is not given a command. */
async function namespaceContainer(pod: Pod, ns: Json, image: string, command?: string[], logPath = ""): Promise<string> {
  const config = { ...env.ctrConfig("namespace-container-", command, { linux: { security_context: { namespace_options: ns } }, log_path: logPath }), image: { image } };
  const id = await env.run(pod, config);
  await env.waitState(id, "CONTAINER_RUNNING");
  return id;
}

/** The web server's pid as it wrote it (nginx's pid file in critest). */
const serverPid = async (id: string) => (await env.execOk(id, ["sh", "-c", "while [ ! -f /var/run/httpd.pid ]; do sleep 0.1; done && cat /var/run/httpd.pid"])).trim();

describe.skipIf(!isRoot)("Security Context", () => {
  describe("NamespaceOption", () => {
    test("runtime should support HostPID", async () => {
      const ns = { pid: "NODE", ipc: "POD", network: "POD" };
      const pod = await namespacePod(ns);
      const web = await namespaceContainer(pod, ns, env.critest.web);
      const pid = await serverPid(web);
      const busybox = await namespaceContainer(pod, ns, env.images.busybox, ["sh", "-c", "sleep 1000"]);
      const pids = (await env.execOk(busybox, ["pidof", "httpd"])).trim().split(" ");
      expect(pids).toContain(pid);
      await env.cleanup(pod);
    });

    for (const mode of ["NODE", "POD"] as const) {
      test(`runtime should support HostIpc is ${mode === "NODE"}`, async () => {
        const made = Bun.spawnSync(["ipcmk", "-M", "1048576"], { stdout: "pipe" }).stdout.toString();
        const segment = /(\d+)\s*$/.exec(made.trim())?.[1];
        expect(segment).toBeDefined();
        try {
          const ns = { pid: "POD", ipc: mode, network: "POD" };
          const pod = await namespacePod(ns);
          const id = await namespaceContainer(pod, ns, env.images.busybox, PAUSE);
          // ipcs -m reads this table (Debian's busybox has no ipcs); the shmid is its second column
          const ids = (await env.execOk(id, ["cat", "/proc/sysvipc/shm"])).split("\n").slice(1).map((l) => l.trim().split(/\s+/)[1]);
          expect(ids.includes(segment!)).toBe(mode === "NODE");
          await env.cleanup(pod);
        } finally {
          Bun.spawnSync(["ipcrm", "-m", segment ?? ""]);
        }
      });
    }

    test("runtime should support PodPID", async () => {
      const ns = { pid: "POD" };
      const pod = await namespacePod(ns);
      const web = await namespaceContainer(pod, ns, env.critest.web);
      await serverPid(web);
      // pid 1 is the pod's infra process, not the server
      expect(await env.execOk(web, ["cat", "/proc/1/cmdline"])).not.toContain("httpd");
      await env.cleanup(pod);
    });

    test("runtime should support ContainerPID", async () => {
      const ns = { pid: "CONTAINER" };
      const pod = await namespacePod(ns);
      const web = await namespaceContainer(pod, ns, env.critest.web);
      await env.execOk(web, ["sh", "-c", 'while ! cat /proc/1/cmdline | grep "httpd"; do sleep 0.1; done']);
      await env.cleanup(pod);
    });

    for (const hostNetwork of [true, false]) {
      test(`runtime should support HostNetwork is ${hostNetwork}`, async () => {
        // a port the host listens on, on every address
        const srv = net.createServer((s) => s.end("hello"));
        await new Promise<void>((resolve) => srv.listen(0, resolve));
        const port = (srv.address() as net.AddressInfo).port;
        try {
          const ns = { pid: "POD", ipc: "POD", network: hostNetwork ? "NODE" : "POD" };
          const pod = await namespacePod(ns, fs.mkdtempSync(path.join(env.tmp, "podLogTest")));
          const logPath = `container-with-HostNetwork-test-${uuid()}.log`;
          const id = await env.run(pod, { ...env.ctrConfig("container-with-HostNetwork-test-", ["sh", "-c", "netstat -ln"], { linux: { security_context: { namespace_options: ns } } }), log_path: logPath });
          await env.waitState(id, "CONTAINER_EXITED");
          const listed = parseLogLines(pod, logPath).some((l) => l.log.includes(`:${port}`));
          expect(listed).toBe(hostNetwork);
          await env.cleanup(pod);
        } finally {
          srv.close();
        }
      });
    }
  });

  describe("UserNamespaces", () => {
    const mapping = (containerId: number, hostId: number) => ({ container_id: containerId, host_id: hostId, length: 100000 });
    const usernsPod = (userns: Json) =>
      env.call("RunPodSandbox", { config: env.podConfig("user-namespaces-pod-", { linux: { security_context: { namespace_options: { userns_options: userns } } } }) });
    /** critest skips these unless the handler ("" for critest's default) says it has user namespaces; skiff's does not. */
    const handlerHasUserns = async () => ((await call("Status", { verbose: true })).runtime_handlers as any[]).find((h) => h.name === "")?.features?.user_namespaces;

    describe("Host idmap mount support is needed", () => {
      test("runtime should support NamespaceMode_POD", async () => {
        expect(await handlerHasUserns()).toBe(false);
        // not built: a pod of its own user namespace is refused as such, never run without one
        expect(await codeName(usernsPod({ mode: "POD", uids: [mapping(0, 1000)], gids: [mapping(0, 1000)] }))).toBe("UNIMPLEMENTED");
      });
    });

    describe("Host idmap mount support is not needed", () => {
      test("runtime should support NamespaceMode_NODE", async () => {
        const ns = { userns_options: { mode: "NODE" } };
        const pod = await namespacePod(ns, fs.mkdtempSync(path.join(env.tmp, "podLogTest")));
        const name = `user-namespaces-container-${uuid()}`;
        const config = { ...env.ctrConfig("", ["cat", "/proc/self/uid_map"], { linux: { security_context: { namespace_options: ns } } }), metadata: { name, attempt: 2 }, log_path: `${name}.log` };
        const id = await env.run(pod, config);
        await env.waitState(id, "CONTAINER_EXITED");
        for (const line of fs.readFileSync("/proc/self/uid_map", "utf8").split("\n").filter(Boolean)) {
          const [c, h, l] = line.trim().split(/\s+/);
          await logShows(pod, `${name}.log`, new RegExp(`\\s+${c}\\s+${h}\\s+${l}`));
        }
        await env.cleanup(pod);
      });

      const refused = [
        { spec: "runtime should fail if more than one mapping provided", userns: { mode: "POD", uids: [mapping(0, 1000), mapping(0, 2000)], gids: [mapping(0, 1000), mapping(0, 2000)] } },
        { spec: "runtime should fail if container ID 0 is not mapped", userns: { mode: "POD", uids: [mapping(1, 1000)], gids: [mapping(1, 1000)] } },
        { spec: "runtime should fail with NamespaceMode_CONTAINER", userns: { mode: "CONTAINER" } },
        { spec: "runtime should fail with NamespaceMode_TARGET", userns: { mode: "TARGET" } },
      ];
      for (const tc of refused) {
        test(tc.spec, async () => {
          expect(await codeName(usernsPod(tc.userns))).not.toBe("OK");
          expect((await call("ListPodSandbox", {})).items.filter((p: any) => p.metadata.name.startsWith("user-namespaces-pod-"))).toEqual([]);
        });
      }
    });
  });
});
